//! The `samenloop` command: a thin front over the node's local API, plus `init`, `node run` and `demo`.

use std::process::ExitCode;

use clap::Parser;

#[macro_use]
mod output;

mod args;
mod cases;
mod commands;
mod demo;
mod open;
mod passphrase;
mod render;
mod requests;

use args::{Cli, Command, DirectoryCommand, NodeCommand, ProfileCommand};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let verbose = matches!(cli.command, Some(Command::Node(NodeCommand::Run(_))));
    let default_filter = if verbose { "info,libp2p_mdns=warn,libp2p_gossipsub=warn" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("SAMENLOOP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    // Colour only for a person at a terminal, and never when NO_COLOR is set (https://no-color.org).
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    tracing_subscriber::fmt().with_env_filter(filter).with_ansi(colour).with_writer(std::io::stderr).init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let command = cli.command.unwrap_or(Command::Open(args::OpenArgs::default()));
    match command {
        Command::Demo => runtime()?.block_on(demo::run()),
        Command::Expertise { json } => commands::expertise_list(json),
        command => {
            let home = commands::home(cli.home)?;
            match command {
                Command::Open(args) => open::open(&home, &args),
                Command::Init(args) => commands::init(&home, args),
                Command::Node(NodeCommand::Run(args)) => runtime()?.block_on(commands::node_run(&home, args)),
                Command::Node(NodeCommand::Status { json }) => commands::node_status(&home, json),
                Command::Node(NodeCommand::Connect { addr }) => commands::node_connect(&home, addr),
                Command::Profile(ProfileCommand::Set(args)) => commands::profile_set(&home, &args),
                Command::Profile(ProfileCommand::Show { peer, json }) => commands::profile_show(&home, peer, json),
                Command::Directory(DirectoryCommand::Search(args)) => commands::directory_search(&home, &args),
                Command::Accreditation(c) => commands::accreditation(&home, c),
                Command::Request(c) => requests::request(&home, c),
                Command::Referral(c) => requests::referral(&home, c),
                Command::Call(c) => requests::call(&home, c),
                Command::Case(c) => cases::case(&home, c),
                Command::Demo | Command::Expertise { .. } => unreachable!("handled above"),
            }
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}
