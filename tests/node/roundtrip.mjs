// A round trip through `reconciler sandbox serve` with Pipedrive's official Node.js client (npm
// `pipedrive` 33.x): API v2 for organizations, persons, deals and activities, v1 for notes.
//
// Why: the sandbox must answer what Pipedrive's own client sends and reads; this is a client that
// is not ours. Run by tests/node/test_roundtrip.py:
//   PIPEDRIVE_NPM_DIR=<dir with node_modules/pipedrive> SANDBOX_URL=http://127.0.0.1:PORT SANDBOX_KEY=... \
//   node tests/node/roundtrip.mjs
// It prints one JSON line {"ok": true, "calls": N} and exits 0, or prints the failing step and exits 1.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.env.PIPEDRIVE_NPM_DIR, "package.json"));
const { v1, v2 } = require("pipedrive");

const url = process.env.SANDBOX_URL.replace(/\/+$/, "");
const key = process.env.SANDBOX_KEY;
// The gateway takes the key as a Bearer token; the client sends `accessToken` that way.
const current = new v2.Configuration({ accessToken: key, basePath: `${url}/pipedrive/api/v2` });
const legacy = new v1.Configuration({ accessToken: key, basePath: `${url}/pipedrive/api/v1` });

const orgs = new v2.OrganizationsApi(current);
const persons = new v2.PersonsApi(current);
const deals = new v2.DealsApi(current);
const activities = new v2.ActivitiesApi(current);
const notes = new v1.NotesApi(legacy);

let calls = 0;
let step = "";

async function call(name, fn) {
  step = name;
  calls += 1;
  const answer = await fn();
  if (!answer || answer.success !== true) {
    throw new Error(`${name}: unexpected answer ${JSON.stringify(answer)}`);
  }
  return answer.data;
}

function check(condition, message) {
  if (!condition) throw new Error(`${step}: ${message}`);
}

async function main() {
  const org = await call("addOrganization", () =>
    orgs.addOrganization({ AddOrganizationRequest: { name: "Node Roundtrip Ltd" } }));
  const john = await call("addPerson", () => persons.addPerson({
    AddPersonRequest: { name: "John Node", org_id: org.id,
      emails: [{ value: "john@node.example", primary: true, label: "work" }] } }));
  const jane = await call("addPerson (second)", () =>
    persons.addPerson({ AddPersonRequest: { name: "Jane Node", org_id: org.id } }));
  const deal = await call("addDeal", () => deals.addDeal({
    AddDealRequest: { title: "Node roundtrip deal", value: 1200, currency: "EUR", org_id: org.id,
      person_id: john.id } }));
  check(deal.title === "Node roundtrip deal" && deal.is_archived === false, "deal not as sent");
  const activity = await call("addActivity", () => activities.addActivity({
    AddActivityRequest: { subject: "Node kickoff", type: "meeting", deal_id: deal.id, org_id: org.id,
      due_date: "2027-01-15", due_time: "10:00",
      participants: [{ person_id: john.id, primary: true }, { person_id: jane.id, primary: false }] } }));
  const read = await call("getActivity", () => activities.getActivity({ id: activity.id }));
  check(read.participants.length === 2 && read.person_id === john.id, "participants not kept");

  const note = await call("addNote (v1)", () =>
    notes.addNote({ AddNoteRequest: { content: "Met in Tallinn", deal_id: deal.id } }));
  await call("updateNote (v1)", () => notes.updateNote({ id: note.id, NoteRequest: { content: "Met in Tartu" } }));
  const noteRead = await call("getNote (v1)", () => notes.getNote({ id: note.id }));
  check(noteRead.content === "Met in Tartu", "note content not updated");

  const archived = await call("archive deal", () =>
    deals.updateDeal({ id: deal.id, UpdateDealRequest: { is_archived: true } }));
  check(archived.is_archived === true, "deal not archived");
  const live = await call("getDeals", () => deals.getDeals({ org_id: org.id }));
  check(!live.some((d) => d.id === deal.id), "archived deal still listed by getDeals");
  const shelf = await call("getArchivedDeals", () => deals.getArchivedDeals({ org_id: org.id }));
  check(shelf.some((d) => d.id === deal.id), "archived deal not listed by getArchivedDeals");
  await call("unarchive deal", () => deals.updateDeal({ id: deal.id, UpdateDealRequest: { is_archived: false } }));
  const back = await call("getDeals again", () => deals.getDeals({ org_id: org.id }));
  check(back.some((d) => d.id === deal.id), "unarchived deal not listed");
  const found = await call("searchDeals", () => deals.searchDeals({ term: "Node roundtrip" }));
  check(found.items.some((i) => i.item.id === deal.id), "deal not found by search");

  const gone = await call("deleteNote (v1)", () => notes.deleteNote({ id: note.id }));
  check(gone === true, "note delete did not answer true");
  await call("deleteActivity", () => activities.deleteActivity({ id: activity.id }));
  await call("deleteDeal", () => deals.deleteDeal({ id: deal.id }));
  await call("deletePerson", () => persons.deletePerson({ id: john.id }));
  await call("deletePerson (second)", () => persons.deletePerson({ id: jane.id }));
  await call("deleteOrganization", () => orgs.deleteOrganization({ id: org.id }));
  const after = await call("getPersons", () => persons.getPersons({ org_id: org.id }));
  check(after.length === 0, "deleted persons still listed");
  console.log(JSON.stringify({ ok: true, calls }));
}

main().catch((error) => {
  const detail = error && error.error ? error.error : (error && error.message) || JSON.stringify(error);
  console.log(JSON.stringify({ ok: false, step, calls, error: String(detail) }));
  process.exit(1);
});
