//! Every page and route of the app driven in-process (no socket, no browser): the phases before and after
//! unlock, sign-in by one-time link, forms with their problems, the guard's refusals and the headers.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;

use crate::config::NodeConfig;
use crate::home::Home;
use crate::keystore::Passphrase;
use crate::service::{Phase, Service, create_identity};
use crate::web::guard::CSP;

const TOKEN: &str = "test-token";
const PASS: &str = "een lange zin om te onthouden";

struct App {
    _dir: tempfile::TempDir,
    home: Home,
    service: Arc<Service>,
    router: Router,
    addr: SocketAddr,
}

fn config() -> NodeConfig {
    NodeConfig {
        listen: vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()],
        mdns: false,
        api: None,
        ..NodeConfig::default()
    }
}

fn app(with_identity: bool) -> App {
    let dir = tempfile::tempdir().unwrap();
    let home = Home::new(dir.path().join("home"));
    if with_identity {
        create_identity(&home, "Anna de Vries", &Passphrase::new(PASS.into()).unwrap()).unwrap();
    }
    let service = Arc::new(Service::waiting(home.clone(), config()));
    let addr: SocketAddr = "127.0.0.1:7878".parse().unwrap();
    let router = crate::api::server::app(service.clone(), TOKEN.into(), addr);
    App { _dir: dir, home, service, router, addr }
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Answer {
    fn location(&self) -> &str {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

impl App {
    fn host(&self) -> String {
        self.addr.to_string()
    }

    async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = to_bytes(response.into_body(), 1 << 20).await.unwrap();
        Answer { status, headers, body: String::from_utf8_lossy(&body).into_owned() }
    }

    async fn get(&self, path: &str, cookie: Option<&str>, lang: &str) -> Answer {
        let mut r = Request::get(path).header(header::HOST, self.host()).header(header::ACCEPT_LANGUAGE, lang);
        if let Some(c) = cookie {
            r = r.header(header::COOKIE, c);
        }
        self.send(r.body(Body::empty()).unwrap()).await
    }

    async fn post_form(&self, path: &str, cookie: Option<&str>, form: &str) -> Answer {
        self.post_form_lang(path, cookie, form, "nl").await
    }

    async fn post_form_lang(&self, path: &str, cookie: Option<&str>, form: &str, lang: &str) -> Answer {
        let mut r = Request::post(path)
            .header(header::HOST, self.host())
            .header(header::ACCEPT_LANGUAGE, lang)
            .header(header::ORIGIN, format!("http://{}", self.host()))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            r = r.header(header::COOKIE, c);
        }
        self.send(r.body(Body::from(form.to_string())).unwrap()).await
    }

    async fn api(&self, method: &str, path: &str) -> Answer {
        let r = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, self.host())
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .body(Body::empty())
            .unwrap();
        self.send(r).await
    }

    /// Signs in as the command line does: asks the API for a link, opens it, returns the cookie.
    async fn sign_in(&self) -> String {
        let link = self.api("POST", "/v1/web/login-link").await;
        assert_eq!(link.status, StatusCode::OK, "{}", link.body);
        let url: serde_json::Value = serde_json::from_str(&link.body).unwrap();
        let url = url["url"].as_str().unwrap().to_string();
        let path = url.strip_prefix(&format!("http://{}", self.host())).unwrap().to_string();
        let opened = self.get(&path, None, "nl").await;
        assert_eq!(opened.status, StatusCode::SEE_OTHER);
        assert_eq!(opened.location(), "/", "the token is not kept in the address");
        let cookie = opened.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().to_string();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
        cookie.split(';').next().unwrap().to_string()
    }
}

fn assert_translated(page: &Answer) {
    assert!(!page.body.contains('⟦'), "untranslated key on the page:\n{}", page.body);
}

#[tokio::test]
async fn before_first_run_only_the_welcome_page_is_served_in_both_languages() {
    let app = app(false);
    let cookie = app.sign_in().await;
    assert_eq!(app.service.phase(), Phase::NoIdentity);
    assert_eq!(app.get("/", Some(&cookie), "nl").await.location(), "/welcome");
    assert_eq!(app.get("/unlock", Some(&cookie), "nl").await.location(), "/welcome");
    let nl = app.get("/welcome", Some(&cookie), "nl-NL,nl;q=0.9").await;
    assert_eq!(nl.status, StatusCode::OK);
    assert!(nl.body.contains("<html lang=\"nl\">") && nl.body.contains("Welkom bij samenloop"), "{}", nl.body);
    assert_translated(&nl);
    let en = app.get("/welcome", Some(&cookie), "en-GB,en;q=0.9").await;
    assert!(en.body.contains("<html lang=\"en\">") && en.body.contains("Welcome to samenloop"));
    assert_translated(&en);
    // The language cookie wins over the browser's.
    let chosen = app.get("/welcome", Some(&format!("{cookie}; samenloop_lang=en")), "nl").await;
    assert!(chosen.body.contains("Welcome to samenloop"));
    // Nothing of the node exists yet: the API says so, and no database was opened.
    let status = app.api("GET", "/v1/status").await;
    assert_eq!(status.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(status.body.contains("\"no-identity\""), "{}", status.body);
    assert!(!app.home.db_path().exists(), "the store is not opened before first run");
}

#[tokio::test]
async fn first_run_names_each_problem_beside_its_field_and_keeps_what_was_typed() {
    let app = app(false);
    let cookie = app.sign_in().await;
    let short =
        app.post_form("/welcome", Some(&cookie), "name=Anna+de+Vries&passphrase=qwxz&repeat=qwxz&lang=nl").await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.body.contains("De wachtzin is te kort: gebruik minstens 10 tekens."), "{}", short.body);
    assert!(short.body.contains("value=\"Anna de Vries\""), "the name is kept");
    assert!(!short.body.contains("qwxz"), "a passphrase is never sent back");
    let differ = app
        .post_form("/welcome", Some(&cookie), "name=Anna&passphrase=een+lange+zin+hier&repeat=een+andere+zin&lang=en")
        .await;
    assert!(differ.body.contains("The two passphrases differ."), "{}", differ.body);
    let no_name = app.post_form("/welcome", Some(&cookie), "name=+&passphrase=&repeat=&lang=nl").await;
    assert!(no_name.body.contains("Vul uw naam in.") && no_name.body.contains("Kies een wachtzin."));
    assert_translated(&no_name);
    assert!(!app.home.identity_path().exists(), "nothing was created");
}

#[tokio::test]
async fn first_run_creates_the_identity_as_init_does_and_home_follows() {
    let app = app(false);
    let cookie = app.sign_in().await;
    let form = format!("name=Anna+de+Vries&passphrase={0}&repeat={0}&lang=nl", PASS.replace(' ', "+"));
    let created = app.post_form("/welcome", Some(&cookie), &form).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    assert_eq!(created.location(), "/");
    assert_eq!(app.service.phase(), Phase::Running);
    // The same key file and draft `init` makes: it opens with the passphrase, the draft has the name.
    let identity = crate::keystore::open(&app.home.identity_path(), &Passphrase::new(PASS.into()).unwrap()).unwrap();
    let home = app.get("/", Some(&cookie), "nl").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Wat vraagt nu uw aandacht"), "{}", home.body);
    assert!(home.body.contains("Er wachten geen verwijzingen op u."));
    assert_translated(&home);
    let status = app.api("GET", "/v1/status").await;
    assert_eq!(status.status, StatusCode::OK);
    assert!(status.body.contains(&identity.peer_id().to_string()));
    assert_eq!(app.get("/welcome", Some(&cookie), "nl").await.location(), "/");
    app.service.stop().await;
}

#[tokio::test]
async fn unlock_refuses_a_wrong_passphrase_and_leaves_the_key_file_untouched() {
    let app = app(true);
    let cookie = app.sign_in().await;
    assert_eq!(app.get("/", Some(&cookie), "nl").await.location(), "/unlock");
    let page = app.get("/unlock", Some(&cookie), "nl").await;
    assert!(page.body.contains("samenloop ontgrendelen"));
    assert_translated(&page);
    let before = std::fs::read(app.home.identity_path()).unwrap();
    let wrong = app.post_form("/unlock", Some(&cookie), "passphrase=niet+de+goede").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("Deze wachtzin klopt niet."), "{}", wrong.body);
    assert_eq!(std::fs::read(app.home.identity_path()).unwrap(), before, "the key file is untouched");
    assert_eq!(app.service.phase(), Phase::Locked);
    assert_eq!(app.api("GET", "/v1/status").await.status, StatusCode::SERVICE_UNAVAILABLE);
    let empty = app.post_form("/unlock", Some(&cookie), "passphrase=").await;
    assert!(empty.body.contains("Vul uw wachtzin in."));
    let right = app.post_form("/unlock", Some(&cookie), &format!("passphrase={}", PASS.replace(' ', "+"))).await;
    assert_eq!(right.location(), "/");
    assert_eq!(app.service.phase(), Phase::Running);
    assert_eq!(std::fs::read(app.home.identity_path()).unwrap(), before);
    app.service.stop().await;
}

#[tokio::test]
async fn unlock_refuses_a_key_file_with_an_inflated_cost_before_any_work_and_says_so() {
    let app = app(true);
    let cookie = app.sign_in().await;
    let path = app.home.identity_path();
    let mut bytes = std::fs::read(&path).unwrap();
    // 4 GiB of argon2 memory under a valid checksum: once made a start use 4.2 GB for 43 s.
    bytes[8..12].copy_from_slice(&(4u32 * 1024 * 1024).to_le_bytes());
    let at = crate::keystore::KEY_FILE_LEN - 32;
    let sum = <sha2::Sha256 as sha2::Digest>::digest(&bytes[..at]);
    bytes[at..].copy_from_slice(&sum);
    std::fs::write(&path, &bytes).unwrap();
    let refused = app.post_form("/unlock", Some(&cookie), &format!("passphrase={}", PASS.replace(' ', "+"))).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("is beschadigd of aangepast"), "{}", refused.body);
    assert!(refused.body.contains("identity.key"), "the page names the file: {}", refused.body);
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "the key file is untouched");
    assert_eq!(app.service.phase(), Phase::Locked);
    let english = app.post_form_lang("/unlock", Some(&cookie), "passphrase=x", "en").await;
    assert!(english.body.contains("is damaged or was altered"), "{}", english.body);
    app.service.stop().await;
}

#[tokio::test]
async fn without_a_session_no_page_is_served_and_nothing_changes() {
    let app = app(false);
    for path in ["/", "/welcome", "/unlock"] {
        let page = app.get(path, None, "nl").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{path}");
        assert!(page.body.contains("Open samenloop via de app"), "{path}");
        assert_translated(&page);
    }
    let forged = app.get("/", Some("samenloop_session=00ff"), "en").await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    assert!(forged.body.contains("Open samenloop from the app"));
    let form = format!("name=Mallory&passphrase={0}&repeat={0}", PASS.replace(' ', "+"));
    assert_eq!(app.post_form("/welcome", None, &form).await.status, StatusCode::UNAUTHORIZED);
    assert!(!app.home.identity_path().exists());
    // The API without the token.
    let r = Request::get("/v1/phase").header(header::HOST, app.host()).body(Body::empty()).unwrap();
    assert_eq!(app.send(r).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_sign_in_link_works_once_and_sign_out_ends_the_session() {
    let app = app(false);
    let link = app.api("POST", "/v1/web/login-link").await;
    let url: serde_json::Value = serde_json::from_str(&link.body).unwrap();
    let path = url["url"].as_str().unwrap().strip_prefix("http://127.0.0.1:7878").unwrap().to_string();
    assert!(path.starts_with("/login/") && path.len() == "/login/".len() + 64, "{path}");
    assert_eq!(app.get(&path, None, "nl").await.status, StatusCode::SEE_OTHER);
    let again = app.get(&path, None, "nl").await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    assert!(again.body.contains("Deze aanmeldlink is al gebruikt."));
    let cookie = app.sign_in().await;
    let out = app.post_form("/sign-out", Some(&cookie), "").await;
    assert!(out.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(app.get("/welcome", Some(&cookie), "nl").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_foreign_host_or_another_origin_is_refused_and_every_answer_has_the_csp() {
    let app = app(false);
    let cookie = app.sign_in().await;
    for path in ["/", "/welcome", "/v1/phase", "/assets/app.css"] {
        let r = Request::get(path)
            .header(header::HOST, "rebind.example:7878")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap();
        let answer = app.send(r).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(answer.headers.get(header::CONTENT_SECURITY_POLICY).unwrap(), CSP);
    }
    let cross = Request::post("/language")
        .header(header::HOST, app.host())
        .header(header::ORIGIN, "http://127.0.0.1:9999")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("lang=en"))
        .unwrap();
    let refused = app.send(cross).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.headers.get(header::SET_COOKIE).is_none());
    let own = app.post_form("/language", Some(&cookie), "lang=en&back=/welcome").await;
    assert_eq!(own.location(), "/welcome");
    assert!(own.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().starts_with("samenloop_lang=en"));
    for sneaky in ["//evil.example/", "/\\evil.example", "https://evil.example/"] {
        let back = app.post_form("/language", Some(&cookie), &format!("lang=nl&back={sneaky}")).await;
        assert_eq!(back.location(), "/", "{sneaky} is not followed");
    }
    let page = app.get("/welcome", Some(&cookie), "nl").await;
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        assert_eq!(page.headers.get(&name).unwrap(), value, "{name}");
    }
    assert!(!page.body.contains("<script>") && !page.body.contains(" style="), "no inline script or style");
}

#[tokio::test]
async fn the_apps_style_and_script_are_embedded_and_small() {
    let app = app(false);
    let css = app.get("/assets/app.css", None, "nl").await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.headers.get(header::CONTENT_TYPE).unwrap(), "text/css; charset=utf-8");
    let js = app.get("/assets/app.js", None, "nl").await;
    assert_eq!(js.headers.get(header::CONTENT_TYPE).unwrap(), "text/javascript; charset=utf-8");
    assert_eq!(app.get("/assets/other.js", None, "nl").await.status, StatusCode::NOT_FOUND);
    // The budget of the issue: at most 100 KB of the app's own script and style together.
    assert!(css.body.len() + js.body.len() <= 100 * 1024, "{} bytes", css.body.len() + js.body.len());
}

#[tokio::test]
async fn the_passphrase_is_changed_only_with_the_current_one_and_the_new_one_twice() {
    let app = app(true);
    let cookie = app.sign_in().await;
    let unlocked = app.post_form("/unlock", Some(&cookie), &format!("passphrase={}", PASS.replace(' ', "+"))).await;
    assert_eq!(unlocked.location(), "/");
    let page = app.get("/settings", Some(&cookie), "nl").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Wachtzin wijzigen"));
    assert_translated(&page);
    let before = std::fs::read(app.home.identity_path()).unwrap();

    let wrong = app
        .post_form(
            "/settings/passphrase",
            Some(&cookie),
            "current=niet+de+goede&new=een+nieuwe+lange+zin&repeat=een+nieuwe+lange+zin",
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("Dit is niet uw huidige wachtzin."), "{}", wrong.body);
    assert_eq!(std::fs::read(app.home.identity_path()).unwrap(), before, "untouched");
    let differ = app
        .post_form(
            "/settings/passphrase",
            Some(&cookie),
            &format!("current={}&new=een+nieuwe+lange+zin&repeat=iets+anders", PASS.replace(' ', "+")),
        )
        .await;
    assert!(differ.body.contains("De twee wachtzinnen zijn niet gelijk."));
    let short = app.post_form("/settings/passphrase", Some(&cookie), "current=x&new=kort&repeat=kort").await;
    assert!(short.body.contains("De wachtzin is te kort"));
    assert_eq!(std::fs::read(app.home.identity_path()).unwrap(), before, "still untouched");

    let changed = app
        .post_form(
            "/settings/passphrase",
            Some(&cookie),
            &format!("current={}&new=een+nieuwe+lange+zin&repeat=een+nieuwe+lange+zin", PASS.replace(' ', "+")),
        )
        .await;
    assert_eq!(changed.location(), "/settings?saved", "{}", changed.body);
    let open = |p: &str| crate::keystore::open(&app.home.identity_path(), &Passphrase::new(p.into()).unwrap());
    assert!(open(PASS).is_err(), "the old passphrase no longer opens the key file");
    assert!(open("een nieuwe lange zin").is_ok());
    let saved = app.get("/settings?saved", Some(&cookie), "en").await;
    assert!(saved.body.contains("Your passphrase has been changed."));
    app.service.stop().await;
}
