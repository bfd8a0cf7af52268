// A minimal Language Server Protocol client: opens one YAML file in yaml-language-server (stdio)
// and prints the diagnostics it publishes for it, as one JSON line. Usage: node yamlls.cjs SERVER FILE
const { spawn } = require("child_process");
const fs = require("fs");
const path = require("path");
const { pathToFileURL } = require("url");

const [server, file] = process.argv.slice(2);
const uri = pathToFileURL(path.resolve(file)).href;
const child = spawn(process.execPath, [server, "--stdio"], { stdio: ["pipe", "pipe", "inherit"] });
let id = 0;
const send = (message) => {
  const body = JSON.stringify({ jsonrpc: "2.0", ...message });
  child.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
};
const request = (method, params) => send({ id: ++id, method, params });
const notify = (method, params) => send({ method, params });
const settings = { yaml: { validate: true, schemaStore: { enable: false }, schemas: {}, format: { enable: false } } };

let buffer = Buffer.alloc(0);
let opened = false;
const timer = setTimeout(() => { console.log(JSON.stringify({ timeout: true })); child.kill(); process.exit(2); }, 60000);
child.stdout.on("data", (chunk) => {
  buffer = Buffer.concat([buffer, chunk]);
  for (;;) {
    const head = buffer.indexOf("\r\n\r\n");
    if (head < 0) return;
    const length = Number(/Content-Length: (\d+)/i.exec(buffer.slice(0, head).toString())[1]);
    if (buffer.length < head + 4 + length) return;
    const message = JSON.parse(buffer.slice(head + 4, head + 4 + length).toString());
    buffer = buffer.slice(head + 4 + length);
    if (message.method === "workspace/configuration") {
      send({ id: message.id, result: message.params.items.map(() => settings.yaml) });
    } else if (message.id !== undefined && message.method) {
      send({ id: message.id, result: null });
    } else if (message.id === 1 && !opened) {
      opened = true;
      notify("initialized", {});
      notify("workspace/didChangeConfiguration", { settings });
      notify("textDocument/didOpen", { textDocument: { uri, languageId: "yaml", version: 1, text: fs.readFileSync(file, "utf8") } });
    } else if (message.method === "textDocument/publishDiagnostics" && message.params.uri === uri) {
      // the first publication can come before the schema is loaded: wait for a settled one
      clearTimeout(settle);
      settle = setTimeout(() => { console.log(JSON.stringify(message.params.diagnostics)); child.kill(); clearTimeout(timer); process.exit(0); }, 1500);
    }
  }
});
let settle = null;
request("initialize", { processId: process.pid, rootUri: pathToFileURL(path.dirname(path.resolve(file))).href,
  capabilities: { workspace: { configuration: true }, textDocument: { publishDiagnostics: {} } } });
