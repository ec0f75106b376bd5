// After the suite: no Quire server may have panicked. A panic inside one
// request (or while dropping a page's state) can leave every test green, so
// the servers' logs (servers.sh tees them to target/e2e/) are read here.
const fs = require('node:fs');
const path = require('node:path');

module.exports = async () => {
  const dir = path.join(__dirname, '..', 'target', 'e2e');
  const panics = [];
  for (const name of ['server-a.log', 'server-b.log']) {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) continue;
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (line.includes('panicked at')) panics.push(`${name}: ${line}\n  ${lines[i + 1] || ''}`);
    });
  }
  if (panics.length > 0) throw new Error(`the servers panicked ${panics.length} time(s):\n${panics.slice(0, 5).join('\n')}`);
};
