"""Draws bench/results/fanout.png from results.json: fan-out p99 latency
against delivered updates per second, one panel per room size, one line per
server (the floor dashed), the 50 ms bar that defines saturation marked."""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

STYLE = {
    "floor": dict(color="#6b7280", linestyle="--", marker="o"),
    "quire": dict(color="#2563eb", linewidth=2.4, marker="o"),
    "quire ×2 (Redis)": dict(color="#60a5fa", marker="s"),
    "y-websocket": dict(color="#dc2626", marker="^"),
    "hocuspocus": dict(color="#d97706", marker="v"),
}


def main(results_path, png_path):
    results = json.load(open(results_path))
    sizes = sorted({p["clients"] for s in results["servers"] for p in s["fanout"]})
    if not sizes:
        sys.exit("no fan-out points in " + results_path)
    fig, axes = plt.subplots(1, len(sizes), figsize=(4.2 * len(sizes), 4.2), squeeze=False)
    for ax, n in zip(axes[0], sizes):
        for server in results["servers"]:
            points = [p for p in server["fanout"] if p["clients"] == n]
            if not points:
                continue
            xs = [p["delivered_per_sec"] for p in points]
            ys = [max(p["latency"]["p99_ms"], 0.05) for p in points]
            ax.plot(xs, ys, label=server["label"], **STYLE.get(server["label"], {}))
        ax.axhline(50, color="#111827", linewidth=0.8, linestyle=":")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"room of {n}")
        ax.set_xlabel("delivered updates/s")
        ax.grid(True, which="major", alpha=0.3)
    axes[0][0].set_ylabel("p99 send → receive (ms)")
    axes[0][-1].legend(loc="upper left", fontsize=8)
    m = results["machine"]
    fig.suptitle(f"Fan-out latency against load — {m['cpu']}, server on one core, load generator on the other", fontsize=10)
    fig.tight_layout()
    fig.savefig(png_path, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
