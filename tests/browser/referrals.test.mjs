// A reviewer answers a referral in the browser: a requester (on the command line) refers a request to
// Bram; Bram, who made his keys in the browser, sees it on home, reads the request under the 14 questions,
// tries to accept without describing a declared conflict, then accepts with no conflict.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Node, browser, shot, axe, missing } from "./harness.mjs";

const why = missing();
if (why) console.log(`SKIPPED: browser tests need Chromium and the samenloop binary: ${why}`);

const PASS = "bram zijn lange wachtzin";
let chrome;
let bram;
let gemeente;

before(async () => {
  if (why) return;
  chrome = await browser();
  bram = await new Node("bram").start();
  gemeente = new Node("gemeente");
  gemeente.passphrase = "gemeente wachtzin 2026";
  gemeente.cli("init", "--name", "Gemeente Utrecht");
});

after(async () => {
  if (chrome) await chrome.close();
  for (const n of [gemeente, bram]) {
    if (n) {
      await n.stop();
      n.remove();
    }
  }
});

const REQUEST = `
reason = "Een jongere van 16 had vijf plaatsingen in twee jaar; daarna volgde een incident"
learning-question = "Hoe hielden de organisaties rond het gezin de veiligheid van de jongere in beeld?"
period-from = "2024-01-01"
period-until = "2025-12-31"
municipality = "Gemeente Utrecht: opdrachtgever en ondersteunend"
inspectorate = "Gemeld; de inspectie steunt een leerreview"
context = "Er lopen geen tuchtzaken"
available-information = "Dossiers van beide organisaties"
family-involvement = "De moeder wil meedoen"
privacy = "Toestemming gevraagd; stukken worden gepseudonimiseerd"
desired-start = "2027-01-01"
desired-end = "2027-06-30"
contact = "Team jeugd, Gemeente Utrecht"
costs = "De gemeente betaalt"
budget-hours = 120
expected-result = "Afspraken over hoe de keten zorgen deelt"
report-addressee = "De besturen van de organisaties en de wethouder"
expertise = ["jeugdbescherming", "ggz"]
region = "Utrecht"
language = "nl"
variant = "mid-range"
reviewers = 2

[[organisation]]
name = "GI Midden-Nederland"
kind = "child-protection"
`;

test("a reviewer reads a referral and accepts it in the browser", { skip: why || false }, async () => {
  const context = await chrome.newContext({ locale: "nl-NL" });
  const page = await context.newPage();
  await page.goto(bram.link());
  await page.getByLabel("Uw naam").fill("Bram Visser");
  await page.getByLabel("Wachtzin", { exact: true }).fill(PASS);
  await page.getByLabel("Herhaal de wachtzin").fill(PASS);
  await page.getByRole("button", { name: "Sleutels maken en beginnen" }).click();
  await page.getByRole("heading", { name: "Wat vraagt nu uw aandacht" }).waitFor({ timeout: 30000 });
  bram.cli("profile", "set", "--expertise", "jeugdbescherming", "--expertise", "ggz", "--region", "Utrecht",
    "--language", "nl", "--hours-per-month", "16");
  const bramId = JSON.parse(bram.cli("node", "status", "--json")).peer_id;

  await gemeente.start({ bootstrap: bram.addrs() });
  gemeente.cli("profile", "set", "--region", "Utrecht", "--language", "nl", "--hours-per-month", "1");
  await gemeente.until("Bram in the requester's directory", () =>
    JSON.parse(gemeente.cli("directory", "search", "--json")).results.some((r) => r.peer_id === bramId));
  const file = join(gemeente.home, "request.toml");
  writeFileSync(file, REQUEST);
  const created = gemeente.cli("request", "new", "--from", file);
  const id = created.match(/request ([0-9a-f]{32})/)[1];
  const referred = Date.now();
  gemeente.cli("request", "refer", id, "--to", bramId);

  // The open home page shows it without a reload: the node's live stream tells the page.
  await page.getByText("Verzoek van Gemeente Utrecht").waitFor({ timeout: 15000 });
  console.log(`referral visible on the open home page ${Date.now() - referred} ms after request refer started`);
  await shot(page, "07-overzicht-verwijzing");
  await page.getByRole("link", { name: "Verzoek van Gemeente Utrecht" }).click();
  await page.getByRole("heading", { name: "2. Wat is de leervraag?" }).waitFor();
  await page.getByText("Hoe hielden de organisaties rond het gezin de veiligheid van de jongere in beeld?").waitFor();
  await shot(page, "08-verwijzing");
  assert.deepEqual(await axe(page), [], "axe on the referral");

  // A declared conflict without a description: named beside the field, what was typed kept.
  await page.getByLabel("Er is mogelijk een belangenverstrengeling; de opdrachtgever weegt die.").check();
  await page.getByLabel("Reden om af te wijzen").fill("nog niet verstuurd");
  await page.getByRole("button", { name: "Accepteren" }).click();
  await page.getByText("Beschrijf de mogelijke belangenverstrengeling, of verklaar dat er geen is.").waitFor();
  assert.equal(await page.getByLabel("Reden om af te wijzen").inputValue(), "nog niet verstuurd");
  await shot(page, "09-verwijzing-fout");

  await page.getByLabel("Ik verklaar dat er geen belangenverstrengeling is.").check();
  await page.getByRole("button", { name: "Accepteren" }).click();
  await page.getByText(/Geaccepteerd op \d+ \w+ \d{4}/).waitFor();
  await shot(page, "10-verwijzing-geaccepteerd");
  // The directory: the reviewers Bram's computer knows, searched by expertise and region.
  await page.getByRole("link", { name: "Reviewers zoeken" }).click();
  await page.getByLabel("ggz").check();
  await page.getByLabel("Regio").fill("Utrecht");
  await page.getByRole("button", { name: "Zoeken" }).click();
  await page.getByRole("heading", { name: "1 reviewer gevonden" }).waitFor();
  await shot(page, "11-reviewers-zoeken");
  assert.deepEqual(await axe(page), [], "axe on the directory");
  await page.getByRole("link", { name: "Bram Visser" }).click();
  await page.getByRole("heading", { name: "Bram Visser" }).waitFor();
  await shot(page, "12-reviewer");
  assert.deepEqual(await axe(page), [], "axe on a reviewer's profile");

  // My profile: fill in hours and an organisation, save, published at once.
  await page.getByRole("link", { name: "Mijn profiel" }).click();
  await page.getByRole("heading", { name: "Mijn profiel" }).waitFor();
  await page.getByLabel("Uurtarief in euro", { exact: false }).fill("duur");
  await page.getByLabel("Uren per maand beschikbaar voor reviews").fill("20");
  await page.getByRole("button", { name: "Opslaan en publiceren" }).click();
  await page.getByText("Vul een bedrag in, zoals 130 of 130,50.").waitFor();
  assert.equal(await page.getByLabel("Uren per maand beschikbaar voor reviews").inputValue(), "20");
  await page.getByLabel("Uurtarief in euro", { exact: false }).fill("130,50");
  await page.locator("#org-0").fill("Jeugdzorg Utrecht");
  await page.locator("#from-0").fill("2019-03-01");
  await page.getByRole("button", { name: "Opslaan en publiceren" }).click();
  await page.getByText("Uw profiel is ondertekend en gepubliceerd.").waitFor();
  await shot(page, "13-mijn-profiel");
  assert.deepEqual(await axe(page), [], "axe on my profile");
  assert.equal(JSON.parse(bram.cli("profile", "show", "--json")).affiliations[0].organisation, "Jeugdzorg Utrecht");

  await gemeente.until("the requester sees the acceptance", () =>
    JSON.parse(gemeente.cli("request", "show", id, "--json")).referrals.some((r) => r.state.state === "accepted"));
  await context.close();
});
