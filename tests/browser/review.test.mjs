// A review in the browser, in Dutch, three nodes on loopback with one browser each: a municipality asks for
// a review through the form with the 14 orientation questions (typed with the keyboard alone), sees the
// match with its reasons and refers the proposed pair; Anna and Bram accept; Anna opens the case and
// invites Bram by name; both keep the timeline, and each sees the other's entries and edits appear
// without reloading. Every screen is checked with axe-core and photographed under target/screenshots/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Node, browser, shot, axe, missing } from "./harness.mjs";

const why = missing();
if (why) console.log(`SKIPPED: browser tests need Chromium and the samenloop binary: ${why}`);

let chrome;
const nodes = {};

before(async () => {
  if (why) return;
  chrome = await browser();
  nodes.anna = await new Node("anna-review").start();
});

after(async () => {
  if (chrome) await chrome.close();
  for (const n of Object.values(nodes)) {
    await n.stop();
    n.remove();
  }
});

async function noAxe(page, name) {
  assert.deepEqual(await axe(page), [], `axe on ${name}`);
}

/** First run in the browser: a name and a passphrase; returns the page, on home. */
async function firstRun(node, name, pass) {
  const context = await chrome.newContext({ locale: "nl-NL" });
  const page = await context.newPage();
  await page.goto(node.link());
  await page.getByLabel("Uw naam").fill(name);
  await page.getByLabel("Wachtzin", { exact: true }).fill(pass);
  await page.getByLabel("Herhaal de wachtzin").fill(pass);
  await page.getByRole("button", { name: "Sleutels maken en beginnen" }).click();
  await page.getByRole("heading", { name: "Wat vraagt nu uw aandacht" }).waitFor({ timeout: 30000 });
  return page;
}

const day = (offset) => new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);

/** Presses Tab until the element with `id` has focus; returns the ids focused on the way. */
async function tabTo(page, id, limit = 200) {
  const seen = [];
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
    seen.push(focused);
    if (focused === id) return seen;
  }
  throw new Error(`#${id} never got focus; focused: ${seen.join(" ")}`);
}

/** Types into the field that has focus, replacing what is there. */
async function typeHere(page, text) {
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.type(text);
}

/** The median of a list of numbers. */
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test("a review from request to a shared timeline, in Dutch", { skip: why || false }, async () => {
  // Anna makes her keys and fills in her profile in the browser.
  const anna = await firstRun(nodes.anna, "Anna de Vries", "anna haar lange wachtzin");
  await anna.getByRole("link", { name: "Mijn profiel" }).click();
  await anna.getByLabel("jeugdbescherming").check();
  await anna.getByLabel("ggz").check();
  await anna.getByLabel("Regio's waar u werkt", { exact: false }).fill("Utrecht");
  await anna.getByLabel("Nederlands").check();
  await anna.getByLabel("Uren per maand beschikbaar voor reviews").fill("16");
  await anna.getByLabel("Accreditatie").selectOption("accredited");
  await anna.getByRole("button", { name: "Opslaan en publiceren" }).click();
  await anna.getByText("Uw profiel is ondertekend en gepubliceerd.").waitFor();

  // Bram and the municipality join through Anna's node; Bram's profile from the command line.
  const seed = nodes.anna.addrs();
  nodes.bram = await new Node("bram-review").start({ bootstrap: seed });
  nodes.gemeente = await new Node("gemeente-review").start({ bootstrap: seed });
  const bram = await firstRun(nodes.bram, "Bram Visser", "bram zijn lange wachtzin");
  nodes.bram.cli("profile", "set", "--expertise", "jeugdbescherming", "--expertise", "onderwijs", "--region",
    "Utrecht", "--language", "nl", "--hours-per-month", "12", "--accreditation", "trainee");
  const gemeente = await firstRun(nodes.gemeente, "Gemeente Utrecht", "gemeente haar wachtzin");
  // The municipality publishes its profile, so reviewers see whose request it is.
  nodes.gemeente.cli("profile", "set", "--region", "Utrecht", "--language", "nl", "--hours-per-month", "1");
  const ids = {};
  for (const n of ["anna", "bram", "gemeente"]) ids[n] = JSON.parse(nodes[n].cli("node", "status", "--json")).peer_id;
  for (const n of ["anna", "bram"]) {
    await nodes[n].until(`the municipality in ${n}'s directory`, () =>
      JSON.parse(nodes[n].cli("directory", "search", "--json")).results.some((r) => r.peer_id === ids.gemeente), 30000);
  }
  await nodes.gemeente.until("both reviewers in the municipality's directory", () => {
    const known = JSON.parse(nodes.gemeente.cli("directory", "search", "--json")).results.map((r) => r.peer_id);
    return known.includes(ids.anna) && known.includes(ids.bram);
  }, 30000);

  // The request form, typed with the keyboard alone, in the method's order.
  await gemeente.getByRole("link", { name: "Verzoeken" }).click();
  await gemeente.getByRole("link", { name: "Nieuw verzoek" }).click();
  await gemeente.getByRole("heading", { name: "Een leerreview aanvragen" }).waitFor();
  await shot(gemeente, "20-verzoek-nieuw");
  await noAxe(gemeente, "the request form");
  const answers = [
    ["reason", "Een jongere van 16 had vijf plaatsingen in twee jaar; daarna volgde een incident"],
    ["learning-question", "Hoe hielden de organisaties de veiligheid van de jongere in beeld?"],
    ["period-from", day(-700)],
    ["period-until", day(-30)],
    ["org-0", "GI Midden-Nederland"],
    ["municipality", "Gemeente Utrecht: opdrachtgever en ondersteunend"],
    ["inspectorate", "Gemeld; de inspectie steunt een leerreview"],
    ["context", "Er lopen geen tuchtzaken"],
    ["available-information", "Dossiers van beide organisaties"],
    ["family-involvement", "De moeder wil meedoen"],
    ["privacy", "Toestemming gevraagd; stukken worden gepseudonimiseerd"],
    ["desired-start", day(30)],
    ["desired-end", day(200)],
    ["contact", "Team jeugd, Gemeente Utrecht"],
    ["costs", "De gemeente betaalt"],
    ["budget-hours", "120"],
    ["expected-result", "Afspraken over hoe de keten zorgen deelt"],
    ["report-addressee", "De besturen van de organisaties en de wethouder"],
  ];
  const order = [];
  for (const [id, text] of answers) {
    order.push(...(await tabTo(gemeente, id)));
    if (id.startsWith("period") || id.startsWith("desired")) {
      // A date field takes the digits of the day in the browser's own order; fill sets it exactly.
      await gemeente.locator(`#${id}`).fill(text);
    } else {
      await typeHere(gemeente, text);
    }
  }
  // Every field on the way had a name a screen reader reads.
  for (const id of order.filter(Boolean)) {
    const named = await gemeente.evaluate((id) => {
      const el = document.getElementById(id);
      return !!(el.labels && el.labels.length) || !!el.getAttribute("aria-label");
    }, id);
    assert.ok(named, `#${id} has a label`);
  }
  await tabTo(gemeente, "kind-0");
  await gemeente.keyboard.press("Home"); // the kinds list is in a fixed order; choose with the keys
  await gemeente.locator("#kind-0").selectOption("child-protection");
  await gemeente.getByLabel("jeugdbescherming").check();
  await gemeente.getByLabel("Middelgrote review").check();
  await gemeente.getByLabel("Regio van de casus").fill("Utrecht");
  await gemeente.getByRole("button", { name: "Verzoek opslaan" }).focus();
  await gemeente.keyboard.press("Enter");
  await gemeente.getByRole("heading", { name: "Passende reviewers" }).waitFor();
  await gemeente.getByRole("heading", { name: /Voorgesteld duo: Anna de Vries en Bram Visser/ }).waitFor();
  await gemeente.getByText("Heeft 1 van de 1 gevraagde expertises").first().waitFor();
  await shot(gemeente, "21-verzoek-match");
  await noAxe(gemeente, "the request with its match");
  await gemeente.getByRole("button", { name: "Verwijs naar dit duo" }).click();
  await gemeente.getByText("Verwezen. De reviewers krijgen het verzoek nu op hun computer.").waitFor();

  // Anna and Bram see the referral on their open home pages, and accept.
  for (const [page, name] of [[anna, "anna"], [bram, "bram"]]) {
    await page.getByRole("link", { name: "Overzicht" }).click();
    await page.getByRole("link", { name: "Verzoek van Gemeente Utrecht" }).waitFor({ timeout: 20000 });
    await page.getByRole("link", { name: "Verzoek van Gemeente Utrecht" }).click();
    await page.getByLabel("Ik verklaar dat er geen belangenverstrengeling is.").check();
    await page.getByRole("button", { name: "Accepteren" }).click();
    await page.getByText(/Geaccepteerd op \d+ \w+ \d{4}/).waitFor();
    if (name === "anna") await shot(page, "22-verwijzing-casus-openen");
  }
  await gemeente.getByText("Genoeg reviewers hebben geaccepteerd.").waitFor({ timeout: 20000 });
  await shot(gemeente, "23-verzoek-geaccepteerd");

  // Anna opens the case from the referral and invites Bram by choosing his name.
  await anna.getByRole("button", { name: "Casus openen" }).click();
  await anna.getByRole("heading", { name: "De zes stappen" }).waitFor();
  await anna.getByText("Hoe hielden de organisaties de veiligheid van de jongere in beeld?").waitFor();
  await anna.getByLabel("Wie", { exact: true }).selectOption({ label: "Bram Visser" });
  await anna.getByRole("button", { name: "Uitnodigen" }).click();
  await anna.getByText("Uitgenodigd.").waitFor();
  await shot(anna, "24-casus-overzicht");
  await noAxe(anna, "the case overview");
  const casePath = new URL(anna.url()).pathname;

  // Both open the timeline. Anna's first entry appears on Bram's open page without a reload.
  await anna.goto(`${nodes.anna.origin}${casePath}/timeline`);
  // Bram's open list of cases shows the case when his node receives the invitation.
  await bram.getByRole("link", { name: "Casussen" }).click();
  await bram.getByRole("link", { name: "Leerreview Gemeente Utrecht: opdrachtgever en ondersteunend" }).click({ timeout: 20000 });
  await bram.getByRole("link", { name: "Tijdlijn" }).click();
  await bram.getByText("Nog geen gebeurtenissen.").waitFor({ timeout: 20000 });
  const visible = [];
  const entries = [
    [day(-600), "GI-1", "GI Midden-Nederland", "Huisbezoek door de jeugdbeschermer"],
    [day(-500), "L1", "School", "De school meldt verzuim"],
    [day(-400), "W1", "Wijkteam", "Overleg tussen wijkteam en GI"],
  ];
  for (const [date, actor, agency, what] of entries) {
    // Keyboard only: the summary opens the form, the fields are filled in order, Enter saves.
    await anna.locator("#new-date").fill(date);
    await anna.locator("#new-actor").focus();
    await typeHere(anna, actor);
    await anna.keyboard.press("Tab");
    await typeHere(anna, agency);
    await anna.keyboard.press("Tab");
    await typeHere(anna, what);
    const sent = Date.now();
    await anna.getByRole("button", { name: "Toevoegen" }).press("Enter");
    await bram.locator("p.entry-what", { hasText: what }).waitFor({ timeout: 2000 });
    visible.push(Date.now() - sent);
    await anna.getByText("De gebeurtenis is toegevoegd.").waitFor();
    await anna.getByText("Een gebeurtenis toevoegen").click();
  }
  await shot(anna, "25-tijdlijn");
  await noAxe(anna, "the timeline");

  // Bram edits one of Anna's entries in place; Anna sees it without a reload.
  const article = bram.locator("article", { hasText: "De school meldt verzuim" });
  for (let round = 0; round < 3; round++) {
    await article.getByText("Bewerken").click();
    const what = article.locator("textarea[name=what]");
    await what.fill(`De school meldt verzuim (ronde ${round + 1})`);
    const sent = Date.now();
    await article.getByRole("button", { name: "Wijzigingen bewaren" }).click();
    await anna.locator("p.entry-what", { hasText: `De school meldt verzuim (ronde ${round + 1})` }).waitFor({ timeout: 2000 });
    visible.push(Date.now() - sent);
  }
  await shot(bram, "26-tijdlijn-bewerkt");
  console.log(`edit in one browser to visible in the other: p50 ${median(visible)} ms, max ${Math.max(...visible)} ms over ${visible.length} edits`);

  // Filter by agency.
  await anna.locator("#filter-agency").selectOption("School");
  await anna.getByRole("button", { name: "Tonen" }).click();
  await anna.getByText("1 gebeurtenis past bij uw keuze").waitFor();
  await shot(anna, "27-tijdlijn-gefilterd");
  await noAxe(anna, "the filtered timeline");

  // The same key pages once in English.
  const en = await chrome.newContext({ locale: "en-GB" });
  const page = await en.newPage();
  // Without a choice of language, the browser's (English) decides.
  await page.goto(nodes.anna.link());
  await page.goto(`${nodes.anna.origin}${casePath}/timeline`);
  await page.getByText("Add an event").waitFor();
  await page.getByText("3 events").waitFor();
  await shot(page, "28-timeline-en");
  await noAxe(page, "the timeline in English");
  await page.goto(`${nodes.anna.origin}${casePath}`);
  await page.getByRole("heading", { name: "The six steps" }).waitFor();
  await shot(page, "29-case-en");
  await en.close();

  // The analysis: an episode that links timeline events, and a finding with its themes.
  await anna.goto(`${nodes.anna.origin}${casePath}/analysis`);
  await anna.getByText("Een sleutelmoment toevoegen").click();
  const episodeForm = anna.locator("#new-episode");
  await episodeForm.getByLabel("Titel").fill("Het eerste huisbezoek");
  await episodeForm.getByLabel(/Huisbezoek door de jeugdbeschermer/).check();
  await episodeForm.getByLabel("Waardering (zonder wijsheid achteraf)").fill("Met wat toen bekend was, een redelijke keuze");
  await episodeForm.getByRole("button", { name: "Toevoegen" }).click();
  await anna.getByRole("heading", { name: "Het eerste huisbezoek" }).waitFor();
  await anna.getByText("Een bevinding toevoegen").click();
  const findingForm = anna.locator("#new-finding");
  await findingForm.getByLabel("Titel").fill("Zorgen worden laat gedeeld");
  await findingForm.getByLabel("Ketensamenwerking").check();
  await findingForm.getByLabel("Vragen aan de organisaties").fill("Wie deelt zorgen?\nBinnen welke termijn?");
  await findingForm.getByRole("button", { name: "Toevoegen" }).click();
  await anna.getByRole("heading", { name: "Zorgen worden laat gedeeld" }).waitFor();
  await shot(anna, "29b-analyse");
  await noAxe(anna, "the analysis");

  // A supervisor joins: she reads the timeline, has no notes page, and challenges an entry.
  nodes.carla = await new Node("carla-review").start({ bootstrap: seed });
  const carla = await firstRun(nodes.carla, "Carla Smit", "carla haar lange wachtzin");
  nodes.carla.cli("profile", "set", "--expertise", "jeugdbescherming", "--region", "Utrecht", "--language", "nl",
    "--hours-per-month", "4", "--accreditation", "supervisor");
  const carlaId = JSON.parse(nodes.carla.cli("node", "status", "--json")).peer_id;
  await nodes.anna.until("Carla in Anna's directory", () =>
    JSON.parse(nodes.anna.cli("directory", "search", "--json")).results.some((r) => r.peer_id === carlaId), 30000);
  await anna.goto(`${nodes.anna.origin}${casePath}`);
  await anna.getByLabel("Wie", { exact: true }).selectOption({ label: "Carla Smit" });
  await anna.getByLabel("Als", { exact: true }).selectOption("supervisor");
  await anna.getByRole("button", { name: "Uitnodigen" }).click();
  await anna.getByText("Uitgenodigd.").waitFor();
  await carla.goto(`${nodes.carla.origin}${casePath}/timeline`);
  await carla.locator("p.entry-what", { hasText: "Huisbezoek door de jeugdbeschermer" }).waitFor({ timeout: 20000 });
  assert.equal(await carla.getByRole("link", { name: "Notities" }).count(), 0, "no notes tab for a supervisor");
  assert.equal(await carla.getByRole("button", { name: "Wijzigingen bewaren" }).count(), 0, "no editing");
  const visit = carla.locator("article", { hasText: "Huisbezoek door de jeugdbeschermer" });
  await visit.getByText("Opmerking plaatsen", { exact: true }).click();
  await visit.getByLabel("Soort opmerking").selectOption("challenge");
  await visit.getByLabel("Uw opmerking").fill("Wist de jeugdbeschermer dit toen al, of is dit achteraf?");
  await visit.getByRole("button", { name: "Plaatsen" }).click();
  await carla.getByText("Wist de jeugdbeschermer dit toen al, of is dit achteraf?").waitFor();
  await shot(carla, "30-supervisor-opmerking");
  await noAxe(carla, "the timeline with a challenge");
  const notes = await carla.goto(`${nodes.carla.origin}${casePath}/notes`);
  assert.equal(notes.status(), 404, "a supervisor's notes page does not exist");

  // Anna sees the challenge on her open timeline, answers it and resolves it.
  await anna.goto(`${nodes.anna.origin}${casePath}/timeline`);
  await anna.getByText("1 open punt").waitFor({ timeout: 20000 });
  const point = anna.locator("li.comment", { hasText: "Wist de jeugdbeschermer dit toen al" });
  await point.getByText("Antwoord", { exact: true }).click();
  await point.getByLabel("Uw antwoord").fill("Ja: het stond in het verslag van die week.");
  await point.getByRole("button", { name: "Antwoord plaatsen" }).click();
  await anna.locator("li.comment", { hasText: "Wist de jeugdbeschermer dit toen al" }).getByRole("button", { name: "Afgehandeld" }).click();
  await anna.getByText("Ja: het stond in het verslag van die week.").waitFor();
  await shot(anna, "31-opmerking-beantwoord");

  // A planted BSN blocks the report until allowed; then the report downloads.
  await anna.getByText("Een gebeurtenis toevoegen").click();
  await anna.locator("#new-date").fill(day(-300));
  await anna.locator("#new-what").fill("De overdracht noemt BSN 111222333");
  await anna.getByRole("button", { name: "Toevoegen" }).click();
  await anna.getByText("De gebeurtenis is toegevoegd.").waitFor();
  await anna.getByRole("link", { name: "Rapport" }).click();
  await anna.getByText("Burgerservicenummer (BSN)").waitFor();
  assert.ok(await anna.getByRole("button", { name: "Downloaden (Markdown)" }).isDisabled(), "blocked while the hit stands");
  await shot(anna, "32-rapport-bsn");
  await noAxe(anna, "the report with a hit");
  await anna.getByRole("button", { name: "Toestaan" }).click();
  await anna.getByText("Er staat niets in het rapport dat naar een persoon herleidt.").waitFor();
  const [download] = await Promise.all([
    anna.waitForEvent("download"),
    anna.getByRole("button", { name: "Downloaden (Markdown)" }).click(),
  ]);
  const text = await streamText(await download.createReadStream());
  assert.match(text, /Leerreview Gemeente Utrecht/);
  assert.match(download.suggestedFilename(), /^eindrapport-[0-9a-f]{8}\.md$/);
  await shot(anna, "33-rapport-schoon");

  // Step 5, then destroy: every member's confirmation appears on the open page.
  await anna.getByRole("link", { name: "Overzicht" }).last().click();
  await anna.getByLabel("Naar stap").selectOption("5");
  await anna.getByRole("button", { name: "Stap vastleggen" }).click();
  await anna.getByText("De stap is vastgelegd").waitFor();
  await anna.goto(`${nodes.anna.origin}${casePath}/destroy`);
  await anna.getByText("Carla Smit (Supervisor)").waitFor();
  await shot(anna, "34-vernietigen");
  await noAxe(anna, "the destroy confirmation");
  await anna.getByLabel("Ik begrijp dat de werkstukken bij iedereen worden gewist.").check();
  await anna.getByRole("button", { name: "Vernietigen" }).click();
  await anna.getByRole("heading", { name: "De werkstukken zijn vernietigd" }).waitFor();
  await anna.getByText("Iedereen heeft de vernietiging bevestigd.").waitFor({ timeout: 30000 });
  await shot(anna, "35-vernietigd");
  await noAxe(anna, "the destruction record");
  await anna.getByRole("link", { name: "Verantwoording" }).click();
  await anna.getByText("De verantwoording is gecontroleerd").waitFor();
  await anna.getByText("stelde het eindrapport op (md) en stond 1 herleidbaar gegeven toe").waitFor();
  await shot(anna, "36-verantwoording");
  await noAxe(anna, "the audit trail");

  // Notifications: asked for on the settings page; once the browser allows them, the page says so.
  await anna.getByRole("link", { name: "Instellingen" }).click();
  await anna.getByRole("button", { name: "Meldingen aanzetten" }).waitFor();
  await anna.context().grantPermissions(["notifications"], { origin: nodes.anna.origin });
  await anna.reload();
  await anna.getByText("Meldingen staan aan.").waitFor();
  assert.equal(await anna.getByRole("button", { name: "Meldingen aanzetten" }).isVisible(), false);
  await noAxe(anna, "the settings with notifications");
});

async function streamText(stream) {
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks).toString("utf8");
}
