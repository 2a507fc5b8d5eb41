use std::process::ExitCode;

use clap::Parser;
use keyhook::config::{Cli, Command, UserCommand};
use keyhook::startup::Application;
use keyhook::{cli, telemetry};

fn main() -> ExitCode {
    let args = Cli::parse();
    telemetry::init(args.settings.log_format, &args.settings.log);
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Cli) -> anyhow::Result<()> {
    let settings = args.settings;
    match args.command.unwrap_or(Command::Serve) {
        Command::Serve => actix_web::rt::System::new().block_on(async move {
            let app = Application::build(settings.clone()).await?;
            tracing::info!("keyhook listening on http://{}:{}", settings.bind.ip(), app.port());
            app.run_until_stopped().await?;
            Ok(())
        }),
        Command::Migrate => cli::migrate(&settings),
        Command::User(UserCommand::Create { email, name, workspace }) => {
            cli::create_user(&settings, &email, &name, workspace.as_deref())
        }
        Command::User(UserCommand::ResetPassword { email }) => cli::reset_password(&settings, &email),
    }
}
