//! One function per command: turn parsed arguments into work, print the result.

use std::path::PathBuf;

use anyhow::{Context, bail};
use samenloop_node::api::client::ApiClient;
use samenloop_node::api::types::{
    AttestRequest, AttestResponse, DialRequest, NodeStatus, ProfileField, ProfileUpdate, ProfileView, SearchResponse,
};
use samenloop_node::keystore;
use samenloop_node::{ConfigFile, Home, NodeConfig};
use samenloop_protocol::directory::expertise;
use samenloop_protocol::{DirectoryQuery, Profile};
use serde::Serialize;

use crate::args::{AccreditationCommand, InitArgs, OptionalDate, ProfileSetArgs, RunArgs, SearchArgs};
use crate::{passphrase, render};

/// Resolves the home: `--home`, else `$SAMENLOOP_HOME` (both via clap), else the platform data directory.
pub fn home(flag: Option<PathBuf>) -> anyhow::Result<Home> {
    if let Some(dir) = flag {
        return Ok(Home::new(dir));
    }
    let dirs = directories::ProjectDirs::from("nl", "samenloop", "samenloop")
        .context("cannot find a data directory for this user: pass --home DIR or set $SAMENLOOP_HOME")?;
    Ok(Home::new(dirs.data_dir()))
}

/// Prints `text` as is, or `value` as JSON.
pub(crate) fn print_either<T: Serialize>(json: bool, value: &T, text: impl FnOnce(&T) -> String) -> anyhow::Result<()> {
    if json {
        print_json(value)
    } else {
        say_inline!("{}", text(value));
        Ok(())
    }
}

pub(crate) fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    say!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// `samenloop init`.
pub fn init(home: &Home, args: InitArgs) -> anyhow::Result<()> {
    let draft = Profile::named(&args.name);
    if let Err(problems) = draft.validate() {
        let names: Vec<_> =
            problems.iter().filter(|p| p.field == "name").map(|p| format!("--name: {}", p.problem)).collect();
        if !names.is_empty() {
            bail!(names.join("\n"));
        }
    }
    if home.identity_path().exists() {
        bail!("an identity already exists at {}; refusing to overwrite it", home.identity_path().display());
    }
    let pass = passphrase::read(true)?;
    let identity = samenloop_node::create_identity(home, &args.name, &pass)?;
    let peer_id = identity.peer_id().to_string();
    if args.json {
        print_json(&serde_json::json!({ "peer_id": peer_id, "home": home.root() }))
    } else {
        say!("Created identity {peer_id} in {}", home.root().display());
        say!("Next: `samenloop node run`, then `samenloop profile set --expertise ... --hours-per-month ...`");
        Ok(())
    }
}

/// `samenloop node run`.
pub async fn node_run(home: &Home, args: RunArgs) -> anyhow::Result<()> {
    let wait_for_unlock = args.wait_for_unlock;
    let config = run_config(home, args)?;
    if wait_for_unlock {
        return node_run_locked(home, config).await;
    }
    let pass = passphrase::read(false)?;
    let identity = keystore::open(&home.identity_path(), &pass)?;
    let node = samenloop_node::start(home, identity, config).await?;
    let status = node.client().status().await?;
    say!("samenloop node {} running", status.peer_id);
    for a in &status.listen_addrs {
        say!("  listening on {a}");
    }
    if let Some(api) = node.api_addr() {
        say!("  local API and app on http://{api} (token in {})", home.token_path().display());
        say!("  open the app with `samenloop open`");
    }
    say!("Press Ctrl-C to stop.");
    wait_for_signal().await;
    say!("stopping...");
    node.shutdown().await;
    say!("stopped");
    Ok(())
}

/// `samenloop node run --wait-for-unlock`: the app first, the node once unlocked in the browser.
async fn node_run_locked(home: &Home, config: NodeConfig) -> anyhow::Result<()> {
    let served = samenloop_node::serve_locked(home, config).await?;
    say!("samenloop app on http://{} ({}); open it with `samenloop open`", served.api_addr(), served.phase().name());
    wait_for_signal().await;
    say!("stopping...");
    served.shutdown().await;
    say!("stopped");
    Ok(())
}

/// The node's settings: defaults, then `config.toml`, then the flags.
fn run_config(home: &Home, args: RunArgs) -> anyhow::Result<NodeConfig> {
    let mut config = NodeConfig::default();
    ConfigFile::load(home)?.apply(&mut config, home)?;
    if !args.listen.is_empty() {
        config.listen = args.listen;
    }
    config.bootstrap.extend(args.bootstrap);
    if args.no_mdns {
        config.mdns = false;
    }
    if let Some(api) = args.api {
        config.api = Some(api);
    }
    config.trusted_accreditors.extend(args.trust_accreditor);
    config.reach.relay |= args.relay;
    config.reach.mailbox |= args.mailbox;
    config.reach.relays.extend(args.use_relay);
    config.reach.mailboxes.extend(args.use_mailbox);
    Ok(config)
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `samenloop node status`.
pub fn node_status(home: &Home, json: bool) -> anyhow::Result<()> {
    let status: NodeStatus = ApiClient::for_home(home)?.get("/v1/status")?;
    print_either(json, &status, render::status)
}

/// `samenloop node connect`.
pub fn node_connect(home: &Home, addr: String) -> anyhow::Result<()> {
    let _: () = ApiClient::for_home(home)?.post("/v1/peers", &DialRequest { addr: addr.clone() })?;
    say!("dialing {addr}; `samenloop node status` shows whether the connection succeeded");
    Ok(())
}

/// Builds the update a `profile set` asks for.
pub fn profile_update(args: &ProfileSetArgs) -> anyhow::Result<ProfileUpdate> {
    let attestation = match args.attestation.as_deref() {
        None => None,
        Some(s) if s.eq_ignore_ascii_case("none") => Some(String::new()),
        Some(s) => match s.strip_prefix('@') {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .with_context(|| format!("--attestation: cannot read {path}"))?
                    .trim()
                    .to_string(),
            ),
            None => Some(s.trim().to_string()),
        },
    };
    let list = |v: &Vec<String>| if v.is_empty() { None } else { Some(v.clone()) };
    Ok(ProfileUpdate {
        name: args.name.clone(),
        bio: args.bio.clone(),
        expertise: list(&args.expertise),
        regions: list(&args.region),
        languages: list(&args.language),
        hours_per_month: args.hours_per_month,
        available_from: match args.available_from {
            Some(OptionalDate::Date(d)) => Some(d),
            _ => None,
        },
        available_until: match args.available_until {
            Some(OptionalDate::Date(d)) => Some(d),
            _ => None,
        },
        clear: {
            let mut clear = args.clear.clone();
            if args.available_from == Some(OptionalDate::None) {
                clear.push(ProfileField::AvailableFrom);
            }
            if args.available_until == Some(OptionalDate::None) {
                clear.push(ProfileField::AvailableUntil);
            }
            clear
        },
        accreditation: args.accreditation,
        attestation,
        affiliations: if args.affiliation.is_empty() { None } else { Some(args.affiliation.clone()) },
        rate_eur_cents: args.rate,
    })
}

/// `samenloop profile set`.
pub fn profile_set(home: &Home, args: &ProfileSetArgs) -> anyhow::Result<()> {
    let update = profile_update(args)?;
    let view: ProfileView = ApiClient::for_home(home)?.put("/v1/profile", &update)?;
    if args.json {
        print_json(&view)
    } else {
        say!("Published revision {} of your profile:\n", view.revision);
        say_inline!("{}", render::profile(&view));
        Ok(())
    }
}

/// `samenloop profile show`.
pub fn profile_show(home: &Home, peer: Option<samenloop_protocol::PeerId>, json: bool) -> anyhow::Result<()> {
    let api = ApiClient::for_home(home)?;
    let view: ProfileView = match peer {
        None => api.get("/v1/profile")?,
        Some(p) => api.get(&format!("/v1/profiles/{p}"))?,
    };
    print_either(json, &view, render::profile)
}

/// Builds a directory query from `directory search` flags, normalising tags as `profile set` does.
pub fn search_query(args: &SearchArgs) -> anyhow::Result<DirectoryQuery> {
    let mut tags = Vec::new();
    for t in &args.expertise {
        tags.push(expertise::normalise_tag(t).map_err(|e| anyhow::anyhow!("--expertise: {e}"))?);
    }
    Ok(DirectoryQuery {
        expertise: tags,
        region: args.region.clone(),
        language: args.language.clone(),
        available_on: args.available_on,
        min_hours: args.min_hours,
        text: args.text.clone(),
    })
}

/// `samenloop directory search`.
pub fn directory_search(home: &Home, args: &SearchArgs) -> anyhow::Result<()> {
    let query = search_query(args)?;
    let results: SearchResponse = ApiClient::for_home(home)?.post("/v1/directory/search", &query)?;
    print_either(args.json, &results, render::search)
}

/// `samenloop accreditation ...`.
pub fn accreditation(home: &Home, command: AccreditationCommand) -> anyhow::Result<()> {
    match command {
        AccreditationCommand::Attest { peer, level, valid_until, json } => {
            let req = AttestRequest { subject: peer.to_string(), level, valid_until };
            let resp: AttestResponse = ApiClient::for_home(home)?.post("/v1/attestations", &req)?;
            if json {
                print_json(&resp)
            } else {
                say!("{}", resp.attestation);
                eprintln!("Give this to the reviewer; they add it with `samenloop profile set --attestation HEX`.");
                Ok(())
            }
        }
    }
}

/// `samenloop expertise`.
pub fn expertise_list(json: bool) -> anyhow::Result<()> {
    if json {
        let v: Vec<_> =
            expertise::VOCABULARY.iter().map(|k| serde_json::json!({"tag": k.tag, "meaning": k.meaning})).collect();
        return print_json(&v);
    }
    for k in expertise::VOCABULARY {
        say!("{:<24} {}", k.tag, k.meaning);
    }
    say!("\nFree tags are allowed too: lowercase words joined by hyphens.");
    Ok(())
}
