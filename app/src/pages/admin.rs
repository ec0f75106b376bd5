//! `/admin`: running the instance. Who may sign up, invitation links (which
//! can put whoever signs up into a group), who may create groups, and the
//! people on it (when they joined and were last seen, what they store), each
//! of whom an admin can promote, disable or hand a password-reset link.
//! Everything works without JavaScript too (plain forms).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{
    error_text, load_admin, Account, AdminView, CreateInvite, CreateResetLink, DeleteAccount, GroupChoice, Invite,
    Registration, RevokeInvite, SetAdmin, SetDisabled, SetGroupCreation, SetRegistration, MAX_INVITE_USES,
};
use crate::components::account_menu::AccountMenu;
use crate::components::brand::Brand;
use crate::components::confirm_button::ConfirmButton;
use crate::components::copy_link::CopyLink;
use crate::components::when::relative_time;

/// The page's server actions, shared by its sections.
#[derive(Clone, Copy)]
struct Actions {
    registration: ServerAction<SetRegistration>,
    create_invite: ServerAction<CreateInvite>,
    revoke_invite: ServerAction<RevokeInvite>,
    set_admin: ServerAction<SetAdmin>,
    set_disabled: ServerAction<SetDisabled>,
    reset: ServerAction<CreateResetLink>,
    group_creation: ServerAction<SetGroupCreation>,
    delete: ServerAction<DeleteAccount>,
}

#[component]
pub fn AdminPage() -> impl IntoView {
    let actions = Actions {
        registration: ServerAction::new(),
        create_invite: ServerAction::new(),
        revoke_invite: ServerAction::new(),
        set_admin: ServerAction::new(),
        set_disabled: ServerAction::new(),
        reset: ServerAction::new(),
        group_creation: ServerAction::new(),
        delete: ServerAction::new(),
    };
    let page = Resource::new(
        move || {
            (
                actions.registration.version().get(),
                actions.create_invite.version().get(),
                actions.revoke_invite.version().get(),
                actions.set_admin.version().get(),
                actions.set_disabled.version().get(),
                actions.group_creation.version().get(),
                actions.delete.version().get(),
            )
        },
        |_| load_admin(),
    );
    let failure = move || {
        [
            actions.registration.value().get().and_then(Result::err),
            actions.create_invite.value().get().and_then(Result::err),
            actions.revoke_invite.value().get().and_then(Result::err),
            actions.set_admin.value().get().and_then(Result::err),
            actions.set_disabled.value().get().and_then(Result::err),
            actions.reset.value().get().and_then(Result::err),
            actions.group_creation.value().get().and_then(Result::err),
            actions.delete.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| view! { <p class="error" role="alert" data-testid="admin-error">{error_text(&e)}</p> })
    };
    view! {
        <Title text="Admin"/>
        <header class="topbar"><Brand/><span class="spacer"></span><AccountMenu/></header>
        <main class="page admin-page">
            <div class="page-head">
                <h1>"Admin"</h1>
                <a class="button subtle" href="/admin/audit" data-testid="audit-link">"Audit log"</a>
            </div>
            {failure}
            <Transition fallback=|| ()>
                {move || page.get().map(|result| match result {
                    Err(e) => view! { <p class="error" role="alert">{error_text(&e)}</p> }.into_any(),
                    Ok(view) => sections(view, actions).into_any(),
                })}
            </Transition>
        </main>
    }
}

fn sections(view: AdminView, actions: Actions) -> impl IntoView {
    let AdminView { accounts, registration, registration_fixed, invites, groups, anyone_creates_groups, me, now } =
        view;
    view! {
        {registration_section(registration, registration_fixed, actions)}
        {invites_section(invites, groups, registration, now, actions)}
        {groups_section(anyone_creates_groups, actions)}
        {people_section(accounts, me, now, actions)}
    }
}

fn registration_section(mode: Registration, fixed: bool, actions: Actions) -> impl IntoView {
    view! {
        <section class="admin-section" aria-labelledby="registration-heading">
            <h2 id="registration-heading">"Who may sign up"</h2>
            <ActionForm action=actions.registration attr:class="choice-form">
                <fieldset disabled=fixed>
                    <legend class="visually-hidden">"Who may sign up"</legend>
                    {Registration::ALL.into_iter().map(|choice| {
                        let (id, label_for) = (format!("registration-{}", choice.as_str()), format!("registration-{}", choice.as_str()));
                        view! {
                            <label class="choice" for=label_for>
                                <input type="radio" id=id name="mode" value=choice.as_str() checked=choice == mode
                                    data-testid=format!("registration-{}", choice.as_str())/>
                                <span class="choice-name">{title(choice)}</span>
                                <span class="muted">{choice.describe()}</span>
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                {if fixed {
                    view! { <p class="hint">"Set by the server's configuration (QUIRE_REGISTRATION)."</p> }.into_any()
                } else {
                    view! { <button type="submit" class="button" data-testid="save-registration">"Save"</button> }.into_any()
                }}
            </ActionForm>
        </section>
    }
}

fn title(mode: Registration) -> &'static str {
    match mode {
        Registration::Open => "Open",
        Registration::Invite => "By invitation",
        Registration::Closed => "Closed",
    }
}

fn invites_section(
    invites: Vec<Invite>,
    groups: Vec<GroupChoice>,
    mode: Registration,
    now: i64,
    actions: Actions,
) -> impl IntoView {
    let empty = invites.is_empty();
    let no_groups = groups.is_empty();
    view! {
        <section class="admin-section" aria-labelledby="invites-heading">
            <h2 id="invites-heading">"Invitations"</h2>
            <p class="muted">
                {match mode {
                    Registration::Closed => "Sign-up is closed: invitation links do not work until it is opened again.",
                    _ => "Whoever opens an invitation link can create an account, as many times as it allows.",
                }}
            </p>
            <ActionForm action=actions.create_invite attr:class="row-form">
                <select name="expires_in_days" aria-label="Invitation expires">
                    <option value="1">"Expires in 1 day"</option>
                    <option value="7" selected>"Expires in 7 days"</option>
                    <option value="30">"Expires in 30 days"</option>
                    <option value="0">"Never expires"</option>
                </select>
                <label class="inline-label" for="invite-uses">"People"</label>
                <input id="invite-uses" name="uses" type="number" min="1" max=MAX_INVITE_USES.to_string() value="1"
                    required class="narrow-number"/>
                // Always sent, empty for none: the server function expects it.
                <select name="group" aria-label="Group they join" hidden=no_groups data-testid="invite-group">
                    <option value="">"No group"</option>
                    {groups.into_iter().map(|group| view! {
                        <option value=group.id>{format!("Joins {}", group.name)}</option>
                    }).collect_view()}
                </select>
                <button type="submit" class="button primary" data-testid="create-invite">"Create invitation link"</button>
            </ActionForm>
            {move || actions.create_invite.value().get().and_then(Result::ok).map(|new| view! {
                <div class="notice" role="status" data-testid="invite-made" data-invite-id=new.invite.id.clone()>
                    <p>"Send this link to the people you invite. It is shown only now:"</p>
                    <CopyLink path=new.path label="The new invitation link" testid="new-invite"/>
                </div>
            })}
            {if empty {
                view! { <p class="empty muted">"No invitation links are open."</p> }.into_any()
            } else {
                view! {
                    <ul class="doc-list" data-testid="invites">
                        {invites.into_iter().map(|invite| invite_row(invite, now, actions)).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

fn invite_row(invite: Invite, now: i64, actions: Actions) -> impl IntoView {
    let expiry = match invite.expires_at {
        None => "never expires".to_string(),
        Some(at) => {
            // Rounded up: a link made for 7 days "expires in 7 days" at first.
            let days = ((at - now).max(0) + 86_399_999) / 86_400_000;
            match days {
                0 => "expired".to_string(),
                1 => "expires in 1 day".to_string(),
                n => format!("expires in {n} days"),
            }
        }
    };
    let id = invite.id.clone();
    view! {
        <li class="doc-row" data-testid="invite" data-invite-id=invite.id.clone()>
            <span class="doc-title">
                {format!("Used {} of {}", invite.used, invite.uses)}
                {invite.group.map(|group| view! { <span class="badge">{format!("joins {group}")}</span> })}
            </span>
            <span class="doc-edited muted">{format!("{expiry} · made {}", relative_time(now, invite.created_at))}</span>
            <ConfirmButton label="Withdraw".into() question="Withdraw it?".into() class="danger" testid="revoke-invite"
                on_confirm=Callback::new(move |()| { actions.revoke_invite.dispatch(RevokeInvite { invite_id: id.clone() }); })/>
        </li>
    }
}

fn groups_section(anyone: bool, actions: Actions) -> impl IntoView {
    view! {
        <section class="admin-section" aria-labelledby="groups-heading">
            <h2 id="groups-heading">"Groups"</h2>
            <p class="muted">"Documents shared with a group are open to everyone in it. "
                <a href="/groups" data-testid="manage-groups">"Manage groups"</a></p>
            <label class="check">
                <input type="checkbox" data-testid="anyone-creates-groups" checked=anyone
                    on:change=move |event| {
                        actions.group_creation.dispatch(SetGroupCreation { anyone: event_target_checked(&event) });
                    }/>
                "Anyone with an account can create groups (otherwise only admins)"
            </label>
        </section>
    }
}

fn people_section(accounts: Vec<Account>, me: String, now: i64, actions: Actions) -> impl IntoView {
    let count = accounts.len();
    view! {
        <section class="admin-section" aria-labelledby="people-heading">
            <h2 id="people-heading">"People " <span class="muted count">{count}</span></h2>
            {move || actions.reset.value().get().and_then(Result::ok).map(|link| view! {
                <div class="notice" role="status">
                    <p>"Give this link to " <strong>{link.username.clone()}</strong>
                        " yourself: it sets a new password once, within 24 hours, and signs them out everywhere else."</p>
                    <CopyLink path=link.path label="The password-reset link" testid="reset-link"/>
                </div>
            })}
            <div class="table-scroll">
                <table class="people" data-testid="people">
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Joined"</th>
                            <th scope="col">"Last seen"</th>
                            <th scope="col" class="number">"Documents"</th>
                            <th scope="col" class="number">"Storage"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {accounts.into_iter().map(|account| {
                            let is_me = account.username == me;
                            person_row(account, is_me, now, actions)
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

fn person_row(account: Account, is_me: bool, now: i64, actions: Actions) -> impl IntoView {
    let Account { username, created_at, last_seen_at, documents, storage_bytes, admin, disabled, sso } = account;
    let (promote, disable, reset) = (username.clone(), username.clone(), username.clone());
    let (delete_name, delete_label) = (username.clone(), format!("Delete {username}"));
    let last_seen = last_seen_at.map_or_else(|| "never".to_string(), |at| relative_time(now, at));
    view! {
        <tr data-testid="person" data-username=username.clone() class:disabled=disabled>
            <th scope="row">
                <span class="person-name">{username.clone()}</span>
                {is_me.then(|| view! { <span class="badge">"you"</span> })}
                {admin.then(|| view! { <span class="badge accent">"admin"</span> })}
                {disabled.then(|| view! { <span class="badge danger">"disabled"</span> })}
                {sso.then(|| view! { <span class="badge" title="Signs in through single sign-on">"SSO"</span> })}
            </th>
            // The units and labels inside the cells show only on a phone,
            // where the rows become cards without the table's header.
            <td><span class="cell-unit">"Joined "</span>{relative_time(now, created_at)}</td>
            <td><span class="cell-unit">"Last seen "</span>{last_seen}</td>
            <td class="number">{documents}<span class="cell-unit">{if documents == 1 { " document" } else { " documents" }}</span></td>
            <td class="number">{bytes(storage_bytes)}<span class="cell-unit">" stored"</span></td>
            <td class="person-actions">
                {(!is_me).then(|| view! {
                    <button type="button" class="button subtle" data-testid="toggle-admin"
                        on:click=move |_| { actions.set_admin.dispatch(SetAdmin { username: promote.clone(), admin: !admin }); }>
                        {if admin { "Remove admin" } else { "Make admin" }}
                    </button>
                    {if disabled {
                        view! {
                            <button type="button" class="button subtle" data-testid="enable"
                                on:click=move |_| { actions.set_disabled.dispatch(SetDisabled { username: disable.clone(), disabled: false }); }>
                                "Enable"
                            </button>
                        }.into_any()
                    } else {
                        let question = format!("Disable {disable}?");
                        view! {
                            <ConfirmButton label="Disable".into() question class="danger" testid="disable"
                                on_confirm=Callback::new(move |()| { actions.set_disabled.dispatch(SetDisabled { username: disable.clone(), disabled: true }); })/>
                        }.into_any()
                    }}
                    {(!disabled).then(|| view! {
                        <button type="button" class="button subtle" data-testid="reset-password"
                            on:click=move |_| { actions.reset.dispatch(CreateResetLink { username: reset.clone() }); }>
                            "Reset link"
                        </button>
                    })}
                    // A plain form inside a disclosure: deleting says where the
                    // documents go, and takes two deliberate steps.
                    <details class="delete-person">
                        <summary class="button subtle danger-text" data-testid="delete-person">"Delete…"</summary>
                        <ActionForm action=actions.delete attr:class="delete-form">
                            <input type="hidden" name="username" value=delete_name/>
                            <fieldset>
                                <legend>"Their documents"</legend>
                                <label class="check"><input type="radio" name="documents" value="admin" checked/>"Give them to me"</label>
                                <label class="check"><input type="radio" name="documents" value="trash"/>"Move them to my trash"</label>
                            </fieldset>
                            <button type="submit" class="button danger" data-testid="confirm-delete-person">{delete_label}</button>
                        </ActionForm>
                    </details>
                })}
            </td>
        </tr>
    }
}

/// "0 B", "12 KB", "3.4 MB", "1.2 GB".
fn bytes(n: i64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut value = n.max(0) as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 || value >= 10.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::bytes;

    #[test]
    fn sizes_read_in_the_largest_fitting_unit() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(12_345), "12 KB");
        assert_eq!(bytes(3_400_000), "3.4 MB");
        assert_eq!(bytes(-5), "0 B");
    }
}
