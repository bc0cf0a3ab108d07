//! The web app's referral screens over real nodes, driven in-process (no browser): a requester refers a
//! request, and the reviewer reads it and answers in the app, with every problem named beside its field.

use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use samenloop_node::api::types::ProfileUpdate;
use samenloop_protocol::referrals::referral::ReferralState;
use samenloop_tests::{TestNode, all_hold, sample_request, temp_root, wait_for};
use tower::ServiceExt;

const LIMIT: Duration = Duration::from_secs(20);

struct Page {
    status: StatusCode,
    location: String,
    body: String,
}

struct App {
    router: Router,
    host: String,
    cookie: String,
}

impl App {
    /// The app of `node`, signed in, driven in-process.
    fn of(node: &TestNode) -> App {
        let (router, host, cookie) = samenloop_node::web::router_for_tests(&node.home, node.client());
        App { router, host, cookie }
    }

    async fn send(&self, request: Request<Body>) -> Page {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let location = response.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let body = to_bytes(response.into_body(), 1 << 22).await.unwrap();
        Page { status, location, body: String::from_utf8_lossy(&body).into_owned() }
    }

    async fn get(&self, path: &str, lang: &str) -> Page {
        let r = Request::get(path)
            .header(header::HOST, &self.host)
            .header(header::COOKIE, &self.cookie)
            .header(header::ACCEPT_LANGUAGE, lang)
            .body(Body::empty())
            .unwrap();
        self.send(r).await
    }

    async fn post(&self, path: &str, form: &str) -> Page {
        let r = Request::post(path)
            .header(header::HOST, &self.host)
            .header(header::ORIGIN, format!("http://{}", self.host))
            .header(header::COOKIE, &self.cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form.to_string()))
            .unwrap();
        self.send(r).await
    }
}

fn named(name: &str) -> ProfileUpdate {
    ProfileUpdate {
        name: Some(name.into()),
        expertise: Some(vec!["jeugdbescherming".into(), "ggz".into()]),
        regions: Some(vec!["Utrecht".into()]),
        languages: Some(vec!["nl".into()]),
        hours_per_month: Some(16),
        ..ProfileUpdate::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_reads_a_referral_and_answers_it_in_the_app() {
    let (_dir, root) = temp_root();
    let mut requester = TestNode::create(&root.join("gemeente"));
    let mut anna = TestNode::create(&root.join("anna"));
    requester.start(vec![], |_| {}).await;
    anna.start(requester.addrs().await, |_| {}).await;
    requester.client().set_profile(named("Gemeente Utrecht")).await.unwrap();
    anna.client().set_profile(named("Anna de Vries")).await.unwrap();
    let (rc, ac) = ([requester.client()], [anna.client()]);
    wait_for(LIMIT, "Anna's profile reaches the requester", || all_hold(&rc, anna.peer_id, 1)).await;
    wait_for(LIMIT, "the requester's profile reaches Anna", || all_hold(&ac, requester.peer_id, 1)).await;
    let request =
        requester.client().create_request(sample_request("Hoe werkten de organisaties samen?")).await.unwrap();
    let mut events = anna.client().node_events().await.unwrap();
    requester.client().refer(&request.id, vec![anna.peer_id], false, false, None).await.unwrap();
    let event = tokio::time::timeout(LIMIT, events.recv()).await.expect("an event in time").unwrap();
    assert_eq!(event, samenloop_node::NodeEvent::Referrals, "an open page learns of the new referral");
    let anna_client = anna.client();
    wait_for(LIMIT, "Anna receives the referral", || {
        let c = anna_client.clone();
        async move { c.referrals().await.is_ok_and(|r| !r.is_empty()) }
    })
    .await;
    let referral_id = anna.client().referrals().await.unwrap()[0].referral_id.clone();

    let app = App::of(&anna);

    // Home and the inbox show it, by the requester's name, with its date to answer by.
    let home = app.get("/", "nl").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Verzoek van Gemeente Utrecht"), "{}", home.body);
    assert!(home.body.contains(&format!("/referrals/{referral_id}")));
    let inbox = app.get("/referrals", "nl").await;
    assert!(inbox.body.contains("Wachten op uw antwoord") && inbox.body.contains("antwoord vóór"));
    assert!(!inbox.body.contains('⟦'));

    // The directory: every reviewer this node knows, filtered as `directory search` filters.
    let all = app.get("/directory", "nl").await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(all.body.contains("Anna de Vries") && all.body.contains("Gemeente Utrecht"), "{}", all.body);
    assert!(!all.body.contains('⟦'));
    let found = app.get("/directory?expertise=ggz&region=utrecht&language=nl&min_hours=10&text=anna", "nl").await;
    assert!(found.body.contains("1 reviewer gevonden") && found.body.contains("Anna de Vries"), "{}", found.body);
    let none = app.get("/directory?expertise=politie", "en").await;
    assert!(none.body.contains("No reviewer matches everything"), "{}", none.body);
    let bad = app.get("/directory?available_on=morgen&min_hours=veel&region=Utrecht", "nl").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Dit is geen datum.") && bad.body.contains("Vul een heel aantal uren in"));
    assert!(bad.body.contains("value=\"morgen\"") && bad.body.contains("value=\"Utrecht\""), "nothing typed is lost");
    let profile = app.get(&format!("/directory/{}", requester.peer_id), "nl").await;
    assert_eq!(profile.status, StatusCode::OK);
    assert!(profile.body.contains("<h1>Gemeente Utrecht</h1>") && profile.body.contains("16 uur per maand"));
    assert_eq!(app.get("/directory/not-a-peer", "nl").await.status, StatusCode::NOT_FOUND);

    // My profile: every field, problems beside their field in Dutch, nothing typed lost.
    let mine = app.get("/profile", "nl").await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(
        mine.body.contains("value=\"Anna de Vries\"") && mine.body.contains("value=\"ggz\" checked"),
        "{}",
        mine.body
    );
    assert!(!mine.body.contains('⟦'));
    let wrong = app
        .post("/profile", "name=&bio=Twintig+jaar+jeugdzorg&hours=veel&available_from=1-2-2027&rate=duur&org-0=GGZ+Centraal&from-0=2020-01-01")
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    for message in ["Vul een heel getal in, zoals 16.", "Dit is geen datum.", "Vul een bedrag in, zoals 130 of 130,50."]
    {
        assert!(wrong.body.contains(message), "{message}");
    }
    assert!(wrong.body.contains("Twintig jaar jeugdzorg") && wrong.body.contains("value=\"GGZ Centraal\""));
    let unnamed = app.post("/profile", "name=+&hours=16&language=nl").await;
    assert!(unnamed.body.contains("Vul dit in."), "the domain's problem, in Dutch: {}", unnamed.body);
    let saved = app
        .post(
            "/profile",
            "name=Anna+de+Vries&bio=Twintig+jaar+jeugdzorg&expertise=ggz&expertise=jeugdbescherming&other_tags=Trauma+Zorg\
             &regions=Utrecht,+Gelderland&language=nl&language=en&hours=20&available_from=2027-01-01&rate=130,50\
             &level=trainee&org-0=GGZ+Centraal&from-0=2020-01-01&until-0=2023-06-30&org-1=&from-1=",
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location, "/profile?saved");
    let own = anna.client().own_profile().await.unwrap();
    assert_eq!(own.bio, "Twintig jaar jeugdzorg");
    assert_eq!(own.expertise, ["ggz", "jeugdbescherming", "trauma-zorg"]);
    assert_eq!(own.regions, ["Utrecht", "Gelderland"]);
    assert_eq!(own.hours_per_month, 20);
    assert_eq!(own.rate_eur, Some(130.5));
    assert_eq!(own.affiliations.len(), 1);
    assert_eq!(own.affiliations[0].until.map(|d| d.to_string()).as_deref(), Some("2023-06-30"));
    let shown = app.get("/profile?saved", "nl").await;
    assert!(shown.body.contains("Uw profiel is ondertekend en gepubliceerd."));
    assert!(shown.body.contains("value=\"130,50\"") && shown.body.contains("value=\"trauma-zorg\""));

    // The live stream: only with a session, as server-sent events.
    let events = app.send(Request::get("/events").header(header::HOST, &app.host).body(Body::empty()).unwrap()).await;
    assert_eq!(events.status, StatusCode::UNAUTHORIZED);
    let r = Request::get("/events").header(header::HOST, &app.host).header(header::COOKIE, &app.cookie);
    let response = app.router.clone().oneshot(r.body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers().get(header::CONTENT_TYPE).unwrap(), "text/event-stream");

    // The request as Anna may read it: the 14 questions in the method's order, with the answers.
    let page = app.get(&format!("/referrals/{referral_id}"), "nl").await;
    assert_eq!(page.status, StatusCode::OK);
    let mut at = 0;
    for q in ["1. Wat is de aanleiding", "2. Wat is de leervraag?", "3. Welke organisaties", "14. Hoe en aan wie"] {
        let found = page.body[at..].find(q).unwrap_or_else(|| panic!("{q} missing or out of order"));
        at += found;
    }
    assert!(page.body.contains("Hoe werkten de organisaties samen?"));
    assert!(page.body.contains("GI Midden-Nederland (jeugdbescherming en jeugdreclassering)"));
    assert!(page.body.contains("Middelgrote review"));
    assert!(!page.body.contains('⟦'));
    let english = app.get(&format!("/referrals/{referral_id}"), "en").await;
    assert!(english.body.contains("2. What is the learning question?") && !english.body.contains('⟦'));

    // Problems are named beside their field, and what was typed is kept.
    let no_reason = app.post(&format!("/referrals/{referral_id}/decline"), "reason=+").await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.body.contains("Geef een reden; de opdrachtgever ziet die."));
    let undescribed =
        app.post(&format!("/referrals/{referral_id}/accept"), "declaration=possible&conflict=&reason=kept+text").await;
    assert_eq!(undescribed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(undescribed.body.contains("Beschrijf de mogelijke belangenverstrengeling, of verklaar dat er geen is."));
    assert!(undescribed.body.contains("kept text"), "nothing typed is lost");
    assert_eq!(anna.client().referrals().await.unwrap()[0].state, ReferralState::Offered);

    // Accept with the declaration of no conflict; both sides see it.
    let accepted = app.post(&format!("/referrals/{referral_id}/accept"), "declaration=none&conflict=").await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.body);
    assert_eq!(accepted.location, format!("/referrals/{referral_id}"));
    let after = app.get(&format!("/referrals/{referral_id}"), "nl").await;
    assert!(after.body.contains("Geaccepteerd op"), "{}", after.body);
    assert!(!after.body.contains("/accept\""), "no answer form once answered");
    let requester_client = requester.client();
    let id = request.id.clone();
    wait_for(LIMIT, "the requester sees the acceptance", || {
        let c = requester_client.clone();
        let id = id.clone();
        async move {
            c.request(&id)
                .await
                .is_ok_and(|r| r.referrals.iter().any(|x| matches!(x.state, ReferralState::Accepted { .. })))
        }
    })
    .await;

    // Answering twice is refused with the node's reason, in a page, not a crash.
    let twice = app.post(&format!("/referrals/{referral_id}/decline"), "reason=te+laat").await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(twice.body.contains("Uw antwoord is niet verstuurd"), "{}", twice.body);
    assert_eq!(app.get("/referrals/00ff", "nl").await.status, StatusCode::NOT_FOUND);

    anna.stop().await;
    requester.stop().await;
}

/// The request form as a browser posts it: every orientation question answered, dates relative to today.
fn request_form(municipality: &str) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let today = samenloop_protocol::UnixTime(now).date().days_since_epoch();
    let day = |n: i64| samenloop_protocol::CalendarDate::from_days_since_epoch(today + n).to_string();
    let fields: Vec<(&str, String)> = vec![
        ("reason", "Ernstig incident na vijf plaatsingen in twee jaar".into()),
        ("learning-question", "Hoe werkten de organisaties samen rond het gezin?".into()),
        ("period-from", day(-700)),
        ("period-until", day(-30)),
        ("org-0", "GI Midden-Nederland".into()),
        ("kind-0", "child-protection".into()),
        ("org-1", "Jeugdzorg Utrecht".into()),
        ("kind-1", "youth-care".into()),
        ("org-2", String::new()),
        ("kind-2", "other".into()),
        ("municipality", municipality.into()),
        ("inspectorate", "Gemeld bij de inspectie".into()),
        ("context", "Geen tuchtrechtelijk onderzoek".into()),
        ("available-information", "Dossiers".into()),
        ("family-involvement", "De moeder wil meedoen".into()),
        ("privacy", "Toestemming gevraagd".into()),
        ("desired-start", day(30)),
        ("desired-end", day(200)),
        ("contact", "J. de Vries".into()),
        ("costs", "De gemeente betaalt".into()),
        ("budget-hours", "100".into()),
        ("expected-result", "Concrete verbeteringen in de keten".into()),
        ("report-addressee", "De besturen van de organisaties".into()),
        ("variant", "mid-range".into()),
        ("reviewers", "2".into()),
        ("expertise", "jeugdbescherming".into()),
        ("expertise", "ggz".into()),
        ("region", "Utrecht".into()),
        ("language", "nl".into()),
    ];
    form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_requester_asks_for_a_review_in_the_app_sees_the_match_and_refers_it() {
    let (_dir, root) = temp_root();
    let mut requester = TestNode::create(&root.join("gemeente"));
    let mut anna = TestNode::create(&root.join("anna"));
    let mut bert = TestNode::create(&root.join("bert"));
    requester.start(vec![], |_| {}).await;
    anna.start(requester.addrs().await, |_| {}).await;
    bert.start(requester.addrs().await, |_| {}).await;
    requester.client().set_profile(named("Gemeente Utrecht")).await.unwrap();
    anna.client().set_profile(named("Anna de Vries")).await.unwrap();
    // Bert works for an organisation involved: the match excludes him and says why.
    let mut bert_profile = named("Bert Jansen");
    bert_profile.affiliations = Some(vec![samenloop_protocol::Affiliation {
        organisation: "Jeugdzorg Utrecht".into(),
        from: None,
        until: None,
    }]);
    bert.client().set_profile(bert_profile).await.unwrap();
    let rc = [requester.client()];
    wait_for(LIMIT, "Anna's profile reaches the requester", || all_hold(&rc, anna.peer_id, 1)).await;
    wait_for(LIMIT, "Bert's profile reaches the requester", || all_hold(&rc, bert.peer_id, 1)).await;

    let app = App::of(&requester);

    // The form asks the 14 orientation questions in the method's words, with their explanations.
    let empty = app.get("/requests", "nl").await;
    assert!(empty.body.contains("U hebt nog geen verzoek gedaan."), "{}", empty.body);
    let form = app.get("/requests/new", "nl").await;
    assert_eq!(form.status, StatusCode::OK);
    for words in [
        "1. Wat is de aanleiding om een leerreview te overwegen?",
        "Gaat het om een specifiek incident, een specifiek thema, of de ketensamenwerking?",
        "7. Welke informatie is er al beschikbaar?",
        "14. Hoe en aan wie wordt gerapporteerd?",
    ] {
        assert!(form.body.contains(words), "{words}");
    }
    assert!(!form.body.contains('⟦'));
    let english = app.get("/requests/new", "en").await;
    assert!(english.body.contains("What makes you consider a learning review?") && !english.body.contains('⟦'));

    // Problems beside their fields, in Dutch; nothing typed is lost.
    let partial = app
        .post(
            "/requests/new",
            "reason=Een+incident&period-from=2026-01-01&period-until=gisteren&budget-hours=veel&org-0=&municipality=",
        )
        .await;
    assert_eq!(partial.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(partial.body.contains("Uw verzoek is nog niet opgeslagen"));
    for message in ["Dit is geen datum.", "Vul een datum in.", "Vul een heel getal in, zoals 16.", "Vul dit in."] {
        assert!(partial.body.contains(message), "{message}");
    }
    assert!(partial.body.contains(">Een incident</textarea>") && partial.body.contains("value=\"gisteren\""));
    assert!(requester.client().requests().await.unwrap().is_empty(), "nothing stored");

    // A complete form is stored and shown with the match.
    let made = app.post("/requests/new", &request_form("Utrecht, op de hoogte")).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let path = made.location.clone();
    let record = requester.client().requests().await.unwrap().remove(0);
    assert_eq!(path, format!("/requests/{}", record.id));
    assert_eq!(record.request.organisations.len(), 2);
    assert_eq!(record.request.expertise, ["jeugdbescherming", "ggz"]);
    let shown = app.get(&path, "nl").await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.body.contains("Verzoek voor Utrecht, op de hoogte"));
    assert!(shown.body.contains("Anna de Vries") && shown.body.contains("Heeft 2 van de 2 gevraagde expertises"));
    assert!(
        shown.body.contains("Belangenverstrengeling: werkt bij Jeugdzorg Utrecht (betrokken: Jeugdzorg Utrecht)"),
        "{}",
        shown.body
    );
    assert!(shown.body.contains("Elke stap is door u ondertekend en de keten klopt."));
    assert!(!shown.body.contains('⟦'));
    let shown_en = app.get(&path, "en").await;
    assert!(
        shown_en.body.contains("Conflict of interest: works for Jeugdzorg Utrecht") && !shown_en.body.contains('⟦')
    );

    // Refer without choosing anyone: the page says what to do; then refer Anna, chosen by name.
    let none = app.post(&format!("{path}/refer"), "how=chosen&respond_by=").await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(none.body.contains("Vink eerst een of meer reviewers aan."));
    let referred = app.post(&format!("{path}/refer"), &format!("how=chosen&to={}&respond_by=", anna.peer_id)).await;
    assert_eq!(referred.location, format!("{path}?referred"), "{}", referred.body);
    let anna_client = anna.client();
    wait_for(LIMIT, "Anna receives the referral", || {
        let c = anna_client.clone();
        async move { c.referrals().await.is_ok_and(|r| !r.is_empty()) }
    })
    .await;
    let after = app.get(&format!("{path}?referred"), "nl").await;
    assert!(after.body.contains("Verwezen. De reviewers krijgen het verzoek nu op hun computer."));
    assert!(after.body.contains("Verwezen naar Anna de Vries"), "history names her: {}", after.body);
    assert!(after.body.contains("Al verwezen voor dit verzoek"), "Anna is not proposed twice");

    // Withdraw: Anna's node learns it.
    let withdrawn = app.post(&format!("{path}/withdraw"), "").await;
    assert_eq!(withdrawn.location, format!("{path}?withdrawn"));
    wait_for(LIMIT, "Anna learns of the withdrawal", || {
        let c = anna_client.clone();
        async move {
            c.referrals().await.is_ok_and(|r| r.iter().all(|r| matches!(r.state, ReferralState::Withdrawn { .. })))
        }
    })
    .await;
    let list = app.get("/requests", "nl").await;
    assert!(list.body.contains("Verzoek voor Utrecht, op de hoogte") && list.body.contains(&path));
    for node in [&mut requester, &mut anna, &mut bert] {
        node.stop().await;
    }
}

/// The entries of a case's timeline as a node lists them.
async fn timeline(client: &samenloop_node::Client, case: &str) -> Vec<serde_json::Value> {
    use samenloop_node::cases::commands::{CaseCommand, EntityKind};
    let case = case.parse().unwrap();
    match client.case(CaseCommand::ListEntities { case, entity: EntityKind::Timeline }).await {
        Ok(serde_json::Value::Array(v)) => v,
        _ => Vec::new(),
    }
}

/// The hidden `was-` fields of an entry's edit form, as the page drew them.
fn drawn_with(page: &str, entry: &str) -> String {
    let start = page.find("action=\"/cases/").unwrap();
    let form_at = page[start..].find(&format!("/timeline/{entry}\"")).map(|i| start + i).expect("the entry's form");
    let rest = &page[form_at..];
    let end = rest.find("</form>").unwrap();
    let mut pairs = Vec::new();
    for chunk in rest[..end].split("<input type=\"hidden\" name=\"").skip(1) {
        let name = &chunk[..chunk.find('"').unwrap()];
        let value_at = chunk.find("value=\"").unwrap() + 7;
        let value = &chunk[value_at..value_at + chunk[value_at..].find('"').unwrap()];
        pairs.push((name.to_string(), value.replace("&#x2c;", ",")));
    }
    form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_reviewers_keep_a_timeline_in_the_app_and_both_edits_to_one_entry_survive() {
    let (_dir, root) = temp_root();
    let mut anna = TestNode::create(&root.join("anna"));
    let mut bert = TestNode::create(&root.join("bert"));
    anna.start(vec![], |_| {}).await;
    bert.start(anna.addrs().await, |_| {}).await;
    anna.client().set_profile(named("Anna de Vries")).await.unwrap();
    bert.client().set_profile(named("Bert Jansen")).await.unwrap();
    let ac = [anna.client()];
    wait_for(LIMIT, "Bert's profile reaches Anna", || all_hold(&ac, bert.peer_id, 1)).await;

    let a = App::of(&anna);
    let b = App::of(&bert);

    // Anna opens a case with a title, and invites Bert by choosing his name.
    assert!(a.post("/cases/open", "title=").await.body.contains("Geef de casus een titel"));
    let opened = a.post("/cases/open", "title=Casus+Utrecht+2026-3").await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
    let path = opened.location.clone();
    let case = path.trim_start_matches("/cases/").to_string();
    let overview = a.get(&path, "nl").await;
    assert!(overview.body.contains("<h1>Casus Utrecht 2026-3</h1>") && overview.body.contains("1. Oriëntatie"));
    assert!(
        overview.body.contains(&format!("<option value=\"{}\">Bert Jansen</option>", bert.peer_id)),
        "{}",
        overview.body
    );
    assert!(!overview.body.contains('⟦'));
    let invited = a.post(&format!("{path}/invite"), &format!("peer={}&role=co-reviewer", bert.peer_id)).await;
    assert_eq!(invited.location, format!("{path}?invited"), "{}", invited.body);
    let members = a.get(&format!("{path}?invited"), "nl").await;
    assert!(members.body.contains("Bert Jansen") && members.body.contains("Maak Bert Jansen hoofdreviewer"));
    assert!(members.body.contains("de sleutels van de stukken die diegene kon lezen worden vervangen"));
    let stepped = a.post(&format!("{path}/step"), "step=2").await;
    assert_eq!(stepped.location, format!("{path}?step"));

    // Anna adds an entry in the form; a problem is named and nothing typed is lost.
    let bad = a.post(&format!("{path}/timeline"), "date=2+maart&what=&actor=GI-1&precision=day").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Dit is geen datum.") && bad.body.contains("Beschrijf wat er gebeurde."));
    assert!(bad.body.contains("value=\"2 maart\"") && bad.body.contains("value=\"GI-1\""));
    let added = a
        .post(
            &format!("{path}/timeline"),
            "date=2025-03-02&precision=day&actor=GI-1&agency=GI+Midden-Nederland&what=Huisbezoek+door+de+jeugdbeschermer&known_then=Moeder+leek+stabiel&sources=gesprek-GI-1",
        )
        .await;
    assert_eq!(added.location, format!("{path}/timeline?done=added"), "{}", added.body);
    let entry = timeline(&anna.client(), &case).await[0]["id"].as_str().unwrap().to_string();

    // Bert's node receives the case; his app shows the story, grouped by month.
    let bc = bert.client();
    wait_for(LIMIT, "the entry reaches Bert", || {
        let (bc, case) = (bc.clone(), case.clone());
        async move { timeline(&bc, &case).await.len() == 1 }
    })
    .await;
    let story = b.get(&format!("{path}/timeline"), "nl").await;
    assert_eq!(story.status, StatusCode::OK, "{}", story.body);
    for words in ["maart 2025", "2 maart 2025", "GI-1 · GI Midden-Nederland", "Huisbezoek door de jeugdbeschermer"] {
        assert!(story.body.contains(words), "{words}: {}", story.body);
    }
    assert!(story.body.contains("Wat men toen wist of dacht") && story.body.contains("Moeder leek stabiel"));
    assert!(!story.body.contains('⟦'));
    let english = b.get(&format!("{path}/timeline"), "en").await;
    assert!(english.body.contains("2 March 2025") && english.body.contains("What was known or believed then"));

    // Both edit the same entry from pages drawn before either saved: Bert the description, Anna the
    // decision. Each form sends only what its user changed, so both changes survive.
    let anna_page = a.get(&format!("{path}/timeline"), "nl").await;
    let (anna_was, bert_was) = (drawn_with(&anna_page.body, &entry), drawn_with(&story.body, &entry));
    let bert_form = format!(
        "{bert_was}&date=2025-03-02&precision=day&actor=GI-1&agency=GI+Midden-Nederland&what=Huisbezoek+door+de+jeugdbeschermer+samen+met+het+wijkteam&known_then=Moeder+leek+stabiel&sources=gesprek-GI-1"
    );
    let anna_form = format!(
        "{anna_was}&date=2025-03-02&precision=day&actor=GI-1&agency=GI+Midden-Nederland&what=Huisbezoek+door+de+jeugdbeschermer&known_then=Moeder+leek+stabiel&decision=Geen+uithuisplaatsing&sources=gesprek-GI-1&contested=on"
    );
    let entry_path = format!("{path}/timeline/{entry}");
    let (saved_b, saved_a) = tokio::join!(b.post(&entry_path, &bert_form), a.post(&entry_path, &anna_form));
    assert_eq!(saved_b.status, StatusCode::SEE_OTHER, "{}", saved_b.body);
    assert_eq!(saved_a.status, StatusCode::SEE_OTHER, "{}", saved_a.body);
    for (who, client) in [("Anna", anna.client()), ("Bert", bert.client())] {
        wait_for(LIMIT, &format!("{who} holds both edits"), || {
            let (client, case) = (client.clone(), case.clone());
            async move {
                let t = timeline(&client, &case).await;
                t.len() == 1
                    && t[0]["what"] == "Huisbezoek door de jeugdbeschermer samen met het wijkteam"
                    && t[0]["decision"] == "Geen uithuisplaatsing"
                    && t[0]["contested"] == true
            }
        })
        .await;
    }
    let shown = b.get(&format!("{path}/timeline"), "nl").await;
    assert!(shown.body.contains("Geen uithuisplaatsing") && shown.body.contains("Betwist"));

    // A supervisor challenges the entry beside it; she has no notes page. Anna answers and resolves.
    let mut carla = TestNode::create(&root.join("carla"));
    carla.start(anna.addrs().await, |_| {}).await;
    carla.client().set_profile(named("Carla Smit")).await.unwrap();
    wait_for(LIMIT, "Carla's profile reaches Anna", || all_hold(&ac, carla.peer_id, 1)).await;
    let invited = a.post(&format!("{path}/invite"), &format!("peer={}&role=supervisor", carla.peer_id)).await;
    assert_eq!(invited.location, format!("{path}?invited"));
    let cc = carla.client();
    wait_for(LIMIT, "the case reaches Carla", || {
        let (cc, case) = (cc.clone(), case.clone());
        async move { timeline(&cc, &case).await.len() == 1 }
    })
    .await;
    let c = App::of(&carla);
    let seen = c.get(&format!("{path}/timeline"), "nl").await;
    assert_eq!(seen.status, StatusCode::OK, "{}", seen.body);
    assert!(!seen.body.contains("/notes\""), "no notes tab for a supervisor");
    assert!(!seen.body.contains("Wijzigingen bewaren"), "a supervisor does not edit the timeline");
    assert_eq!(c.get(&format!("{path}/notes"), "nl").await.status, StatusCode::NOT_FOUND);
    let challenged = c
        .post(
            &format!("{path}/comments"),
            &format!("target={entry}&target_kind=timeline&kind=challenge&text=Is+dit+niet+achteraf+geredeneerd%3F&back=/cases/{case}/timeline"),
        )
        .await;
    assert_eq!(challenged.location, format!("{path}/timeline#entry-{entry}"), "{}", challenged.body);
    wait_for(LIMIT, "the challenge reaches Anna", || {
        let a = &a;
        let p = format!("{path}/timeline");
        async move { a.get(&p, "nl").await.body.contains("Is dit niet achteraf geredeneerd?") }
    })
    .await;
    let with_point = a.get(&format!("{path}/timeline"), "nl").await;
    assert!(
        with_point.body.contains("Kritische vraag</strong> · Carla Smit") && with_point.body.contains("1 open punt")
    );
    let home = a.get("/", "nl").await;
    assert!(home.body.contains("1 open punt"), "home shows the comment to answer: {}", home.body);
    let comment = with_point.body.split("id=\"comment-").nth(1).unwrap();
    let comment = &comment[..comment.find('"').unwrap()];
    let answered = a
        .post(
            &format!("{path}/comments"),
            &format!(
                "target={entry}&target_kind=timeline&replies_to={comment}&text=Nee%2C+dit+stond+in+het+dossier+van+toen"
            ),
        )
        .await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER);
    a.post(&format!("{path}/comments/{comment}/resolve"), &format!("resolved=true&target={entry}")).await;
    let resolved = a.get(&format!("{path}/timeline"), "nl").await;
    assert!(resolved.body.contains("Nee, dit stond in het dossier van toen") && resolved.body.contains("afgehandeld"));
    assert!(!resolved.body.contains("1 open punt"));
    // A reviewer's notes stay on reviewers' nodes.
    let noted = b
        .post(
            &format!("{path}/notes"),
            "kind=interview&title=Gesprek+GI-1&participant=GI-1&date=2026-01-12&text=Zij+vertelde+dat",
        )
        .await;
    assert_eq!(noted.location, format!("{path}/notes?added"), "{}", noted.body);
    let notes = b.get(&format!("{path}/notes?added"), "nl").await;
    assert!(notes.body.contains("Gesprek GI-1") && notes.body.contains("12 januari 2026") && !notes.body.contains('⟦'));
    carla.stop().await;

    // Filters by agency and actor.
    let second = "date=2024-07-01&precision=year&actor=M1&agency=Wijkteam&what=Gezin+verhuist+naar+Utrecht";
    assert_eq!(b.post(&format!("{path}/timeline"), second).await.status, StatusCode::SEE_OTHER);
    let filtered = b.get(&format!("{path}/timeline?agency=Wijkteam"), "nl").await;
    assert!(filtered.body.contains("1 gebeurtenis past bij uw keuze") && filtered.body.contains("Gezin verhuist"));
    assert!(!filtered.body.contains("samen met het wijkteam"));
    assert!(filtered.body.contains("<h2 class=\"period-label\">2024</h2>"), "a year-only entry groups under its year");

    // Anna removes the entry; Bert's stale page then tries to edit it: a clear message, nothing changed.
    let stale = b.get(&format!("{path}/timeline"), "nl").await;
    let removed = a.post(&format!("{path}/timeline/{entry}/remove"), "").await;
    assert_eq!(removed.location, format!("{path}/timeline?done=removed"));
    wait_for(LIMIT, "the removal reaches Bert", || {
        let (bc, case) = (bc.clone(), case.clone());
        async move { timeline(&bc, &case).await.len() == 1 }
    })
    .await;
    let late = b
        .post(
            &format!("{path}/timeline/{entry}"),
            &format!("{}&what=Nog+een+wijziging", drawn_with(&stale.body, &entry)),
        )
        .await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(late.body.contains("Deze gebeurtenis is intussen door een collega verwijderd. Er is niets veranderd."));
    let left = timeline(&bert.client(), &case).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["what"], "Gezin verhuist naar Utrecht");
    for node in [&mut anna, &mut bert] {
        node.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planted_bsn_blocks_the_report_until_allowed_then_the_case_is_destroyed_and_the_trail_verifies() {
    let (_dir, root) = temp_root();
    let mut anna = TestNode::create(&root.join("anna"));
    let mut bert = TestNode::create(&root.join("bert"));
    anna.start(vec![], |_| {}).await;
    bert.start(anna.addrs().await, |_| {}).await;
    anna.client().set_profile(named("Anna de Vries")).await.unwrap();
    bert.client().set_profile(named("Bert Jansen")).await.unwrap();
    let ac = [anna.client()];
    wait_for(LIMIT, "Bert's profile reaches Anna", || all_hold(&ac, bert.peer_id, 1)).await;
    let a = App::of(&anna);
    let b = App::of(&bert);

    let path = a.post("/cases/open", "title=Casus+Utrecht+2026-4").await.location;
    let case = path.trim_start_matches("/cases/").to_string();
    a.post(&format!("{path}/invite"), &format!("peer={}&role=co-reviewer", bert.peer_id)).await;
    a.post(
        &format!("{path}/timeline"),
        "date=2025-03-02&precision=day&actor=GI-1&agency=GI&what=Het+dossier+noemt+BSN+111222333+bij+de+overdracht",
    )
    .await;

    // The preview marks the hit where it occurs; the download is refused while it stands.
    let preview = a.get(&format!("{path}/report"), "nl").await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(preview.body.contains("Burgerservicenummer (BSN)") && preview.body.contains("<mark>111222333</mark>"));
    assert!(preview.body.contains("<a href=\"#hit-1\">111222333</a>"), "marked in the report itself");
    assert!(preview.body.contains(&format!("/cases/{case}/timeline?find=")), "a link to the field");
    assert!(!preview.body.contains('⟦'));
    let blocked = a.post(&format!("{path}/report"), "format=md").await;
    assert_eq!(blocked.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(blocked.body.contains("Het rapport is niet opgesteld: er staat nog 1 herleidbaar gegeven in."));
    // "Remove" opens the entry's editor on its page.
    let fix = preview.body.split(&format!("/cases/{case}/timeline?find=")).nth(1).unwrap();
    let prefix = &fix[..fix.find('"').unwrap()];
    let editor = a.get(&format!("{path}/timeline?find={prefix}"), "nl").await;
    let tag = editor.body.split("<details class=\"edit\" id=\"edit-").nth(1).unwrap();
    assert!(tag[..tag.find('>').unwrap()].ends_with(" open"), "the entry's editor is open");

    // Allowed: the preview is clean and the report downloads, recorded in the audit trail.
    let allowed = a.get(&format!("{path}/report?allow=111222333"), "nl").await;
    assert!(allowed.body.contains("Er staat niets in het rapport dat naar een persoon herleidt."));
    let file = a.post(&format!("{path}/report"), "format=md&allow=111222333").await;
    assert_eq!(file.status, StatusCode::OK, "{}", file.body);
    assert!(file.body.contains("Casus Utrecht 2026-4") && file.body.contains("111222333"));

    // Destroy: too early before step 5, then only with the box ticked; Bert's node confirms.
    assert!(a.get(&format!("{path}/destroy"), "nl").await.body.contains("Vernietigen kan vanaf stap 5"));
    a.post(&format!("{path}/step"), "step=5").await;
    let confirm = a.get(&format!("{path}/destroy"), "nl").await;
    assert!(confirm.body.contains("Bert Jansen (Reviewer)") && confirm.body.contains("Dat kan niet ongedaan"));
    assert!(b.get(&format!("{path}/destroy"), "nl").await.body.contains("Alleen de hoofdreviewer kan dit doen."));
    let bc = bert.client();
    wait_for(LIMIT, "the case reaches Bert", || {
        let (bc, case) = (bc.clone(), case.clone());
        async move { timeline(&bc, &case).await.len() == 1 }
    })
    .await;
    let untick = a.post(&format!("{path}/destroy"), "").await;
    assert_eq!(untick.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(untick.body.contains("Vink eerst aan"));
    let destroyed = a.post(&format!("{path}/destroy"), "understood=on").await;
    assert_eq!(destroyed.location, format!("{path}/destruction"), "{}", destroyed.body);
    let b_destruction = format!("{path}/destruction");
    wait_for(LIMIT, "Bert's confirmation reaches Anna", || {
        let a = &a;
        let p = b_destruction.clone();
        async move { a.get(&p, "nl").await.body.contains("Iedereen heeft de vernietiging bevestigd.") }
    })
    .await;
    let record = a.get(&b_destruction, "nl").await;
    assert!(record.body.contains("Bert Jansen") && record.body.contains("bevestigd op"), "{}", record.body);
    assert_eq!(a.get(&path, "nl").await.status, StatusCode::NOT_FOUND, "the case itself is gone");

    let trail = a.get(&format!("{path}/audit"), "nl").await;
    assert_eq!(trail.status, StatusCode::OK, "{}", trail.body);
    assert!(trail.body.contains("De verantwoording is gecontroleerd"), "{}", trail.body);
    for words in [
        "opende de casus als hoofdreviewer",
        "nodigde Bert Jansen uit als Reviewer",
        "stelde het eindrapport op (md) en stond 1 herleidbaar gegeven toe",
        "vernietigde de werkstukken",
        "bevestigde de vernietiging op de eigen computer",
    ] {
        assert!(trail.body.contains(words), "{words}: {}", trail.body);
    }
    assert!(!trail.body.contains('⟦'));
    for node in [&mut anna, &mut bert] {
        node.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_analysis_is_kept_in_the_app_episodes_link_the_timeline_and_factors_the_episodes() {
    use samenloop_node::cases::commands::{CaseCommand, EntityKind};
    let (_dir, root) = temp_root();
    let mut anna = TestNode::create(&root.join("anna"));
    anna.start(vec![], |_| {}).await;
    anna.client().set_profile(named("Anna de Vries")).await.unwrap();
    let a = App::of(&anna);
    let path = a.post("/cases/open", "title=Casus+Utrecht+2026-5").await.location;
    let case = path.trim_start_matches("/cases/").to_string();
    a.post(&format!("{path}/timeline"), "date=2025-03-02&actor=GI-1&agency=GI&what=Huisbezoek").await;
    let entry = timeline(&anna.client(), &case).await[0]["id"].as_str().unwrap().to_string();
    let list = |kind: EntityKind| {
        let (c, case) = (anna.client(), case.parse().unwrap());
        async move {
            match c.case(CaseCommand::ListEntities { case, entity: kind }).await.unwrap() {
                serde_json::Value::Array(v) => v,
                _ => Vec::new(),
            }
        }
    };

    let empty = a.get(&format!("{path}/analysis"), "nl").await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.body);
    for words in ["Deelnemers aan de casus", "Sleutelmomenten", "Bijdragende factoren", "Bevindingen", "Aanbevelingen"]
    {
        assert!(empty.body.contains(words), "{words}");
    }
    assert!(empty.body.contains("2 maart 2025: Huisbezoek"), "timeline entries offered as links by date and words");
    assert!(!empty.body.contains('⟦'));

    let ok = |p: &Page| assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    ok(&a
        .post(
            &format!("{path}/analysis/participant"),
            "pseudonym=GI-1&role=Jeugdbeschermer&organisation=GI&group=case-group",
        )
        .await);
    let bad = a
        .post(
            &format!("{path}/analysis/episode"),
            &format!("title=Het+huisbezoek&period_from=maart&timeline_entries={entry}"),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Dit is geen datum.") && bad.body.contains("value=\"Het huisbezoek\""), "kept");
    ok(&a
        .post(
            &format!("{path}/analysis/episode"),
            &format!("title=Het+huisbezoek&period_from=2025-03-01&timeline_entries={entry}&appraisal=Redelijk+met+wat+toen+bekend+was&good_practice=true"),
        )
        .await);
    let episode = list(EntityKind::Episode).await[0].clone();
    assert_eq!(episode["timeline_entries"], serde_json::json!([entry]));
    assert_eq!(episode["good_practice"], true);
    let episode_id = episode["id"].as_str().unwrap().to_string();
    ok(&a
        .post(
            &format!("{path}/analysis/factor"),
            &format!(
                "description=Hoge+werkdruk&level=organisation&episodes={episode_id}&pattern=human-management-system"
            ),
        )
        .await);
    ok(&a
        .post(
            &format!("{path}/analysis/finding"),
            "title=Zicht+op+veiligheid&themes=chain-cooperation&themes=parent-child-dilemma&questions=Wie+deelt+zorgen%3F%0D%0AWanneer%3F",
        )
        .await);
    ok(&a
        .post(
            &format!("{path}/analysis/recommendation"),
            "text=Deel+zorgen+binnen+een+week&addressee=GI&follow_up=open",
        )
        .await);

    // The page shows each with its links in words; an edit sends only what changed.
    let page = a.get(&format!("{path}/analysis"), "nl").await;
    for words in [
        "Hoge werkdruk",
        "Organisatie",
        "Mens en managementsysteem",
        "Het huisbezoek",
        "Ketensamenwerking, Het ouder-kinddilemma",
        "Wie deelt zorgen?",
    ] {
        assert!(page.body.contains(words), "{words}: {}", page.body);
    }
    let finding = list(EntityKind::Finding).await[0].clone();
    let fid = finding["id"].as_str().unwrap();
    let edit = "was-title=Zicht+op+veiligheid&title=Zicht+op+de+veiligheid+van+het+kind\
        &was-themes=chain-cooperation%0Aparent-child-dilemma&themes=chain-cooperation&themes=parent-child-dilemma\
        &was-questions=Wie+deelt+zorgen%3F%0AWanneer%3F&questions=Wie+deelt+zorgen%3F%0D%0AWanneer%3F";
    ok(&a.post(&format!("{path}/analysis/finding/{fid}"), edit).await);
    let finding = list(EntityKind::Finding).await[0].clone();
    assert_eq!(finding["title"], "Zicht op de veiligheid van het kind");
    assert_eq!(finding["questions"], serde_json::json!(["Wie deelt zorgen?", "Wanneer?"]));
    // Removing the episode leaves the factor's link shown as removed; a stale edit of it changes nothing.
    ok(&a.post(&format!("{path}/analysis/episode/{episode_id}/remove"), "").await);
    assert!(a.get(&format!("{path}/analysis"), "nl").await.body.contains("(verwijderd)"));
    let stale = a.post(&format!("{path}/analysis/episode/{episode_id}"), "was-title=Het+huisbezoek&title=Anders").await;
    assert_eq!(stale.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(stale.body.contains("Dit onderdeel is intussen door een collega verwijderd."));
    let english = a.get(&format!("{path}/analysis"), "en").await;
    assert!(english.body.contains("Contributing factors") && !english.body.contains('⟦'));
    // The report takes it all in.
    let report = a.get(&format!("{path}/report"), "nl").await;
    assert!(
        report.body.contains("Zicht op de veiligheid van het kind")
            && report.body.contains("Deel zorgen binnen een week")
    );
    anna.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_network_settings_change_in_the_app_at_once_and_are_kept_for_a_restart() {
    let (_dir, root) = temp_root();
    let mut anna = TestNode::create(&root.join("anna"));
    let mut carla = TestNode::create(&root.join("carla"));
    anna.start(vec![], |_| {}).await;
    carla.start(anna.addrs().await, |_| {}).await;
    anna.client().set_profile(named("Anna de Vries")).await.unwrap();
    let mut supervisor = named("Carla Smit");
    supervisor.accreditation = Some(samenloop_protocol::AccreditationLevel::Supervisor);
    carla.client().set_profile(supervisor).await.unwrap();
    let ac = [anna.client()];
    wait_for(LIMIT, "Carla's profile reaches Anna", || all_hold(&ac, carla.peer_id, 1)).await;
    let a = App::of(&anna);

    let settings = a.get("/settings", "nl").await;
    assert!(settings.body.contains(&format!("value=\"{}\"> Carla Smit", carla.peer_id)), "{}", settings.body);
    assert!(!settings.body.contains('⟦'));
    let bad = a.post("/settings/network", &format!("trusted={}&bootstrap=niet+een+adres", carla.peer_id)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Dit is geen adres dat samenloop kan gebruiken: niet een adres"));
    assert!(bad.body.contains(">niet een adres</textarea>"), "kept");
    assert!(anna.client().network().await.unwrap().trusted_accreditors.is_empty(), "nothing changed");

    let seed = carla.addrs().await[0].to_string();
    let saved = a
        .post(
            "/settings/network",
            &form_urlencoded::Serializer::new(String::new())
                .append_pair("trusted", &carla.peer_id.to_string())
                .append_pair("bootstrap", &seed)
                .finish(),
        )
        .await;
    assert_eq!(saved.location, "/settings?network", "{}", saved.body);
    let now = anna.client().network().await.unwrap();
    assert_eq!(now.trusted_accreditors, [carla.peer_id], "in effect without a restart");
    assert_eq!(now.bootstrap.len(), 1);
    let file = std::fs::read_to_string(anna.home.config_path()).unwrap();
    assert!(file.contains(&carla.peer_id.to_string()) && file.contains(&seed), "{file}");
    let shown = a.get("/settings?network", "nl").await;
    assert!(
        shown.body.contains("Bewaard. Het geldt meteen")
            && shown.body.contains(&format!("value=\"{}\" checked", carla.peer_id))
    );
    for node in [&mut anna, &mut carla] {
        node.stop().await;
    }
}
