//! Delivery of a stored message: SMTP under a deadline, or an .eml file in the outbox folder.

use std::path::Path;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::DigestError;
use crate::config::{Config, Security, SmtpConfig};
use crate::private::Share;
use crate::store::Queued;

/// How one delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The server answered 250 to the message (or the .eml file was written).
    Sent,
    /// Worth another try later: a 4xx answer, a timeout, a dropped connection.
    Retry(String),
    /// Refused for good: a 5xx answer, or a setup that cannot work.
    Failed(String),
}

/// Delivers one stored message as it was stored, byte for byte.
pub async fn send_message(cfg: &Config, q: &Queued) -> Delivery {
    let Some(smtp) = &cfg.smtp else {
        return match write_eml(cfg, q) {
            Ok(()) => Delivery::Sent,
            Err(e) => Delivery::Retry(e.to_string()),
        };
    };
    let envelope = match envelope(&q.sender, &q.recipients) {
        Ok(e) => e,
        Err(e) => return Delivery::Failed(e.to_string()),
    };
    let transport = match transport(cfg, smtp) {
        Ok(t) => t,
        Err(e) => return Delivery::Failed(e.to_string()),
    };
    let deadline = cfg.digest.send_timeout;
    match tokio::time::timeout(deadline, transport.send_raw(&envelope, &q.message)).await {
        Err(_) => Delivery::Retry(format!("no final answer within {deadline:?}")),
        Ok(Ok(_)) => Delivery::Sent,
        Ok(Err(e)) if e.is_permanent() => Delivery::Failed(e.to_string()),
        Ok(Err(e)) => Delivery::Retry(e.to_string()),
    }
}

/// Sends a short message to check the SMTP settings.
pub async fn send_test(cfg: &Config) -> Result<(), DigestError> {
    let smtp = cfg
        .smtp
        .as_ref()
        .ok_or_else(|| DigestError::Smtp("no [smtp] in the config".into()))?;
    let mut b = Message::builder()
        .from(
            cfg.digest
                .from
                .parse()
                .map_err(|e| DigestError::Address(cfg.digest.from.clone(), format!("{e}")))?,
        )
        .subject("sigwatch test message");
    for to in &cfg.digest.to {
        b = b.to(to
            .parse()
            .map_err(|e| DigestError::Address(to.clone(), format!("{e}")))?);
    }
    let msg = b
        .body("This is a test message from sigwatch: the [smtp] settings work.".to_string())
        .map_err(|e| DigestError::Build(e.to_string()))?;
    let t = transport(cfg, smtp)?;
    match tokio::time::timeout(cfg.digest.send_timeout, t.send(msg)).await {
        Err(_) => Err(DigestError::Smtp(format!(
            "no final answer within {:?}",
            cfg.digest.send_timeout
        ))),
        Ok(Err(e)) => Err(DigestError::Smtp(e.to_string())),
        Ok(Ok(_)) => Ok(()),
    }
}

fn envelope(sender: &str, recipients: &[String]) -> Result<Envelope, DigestError> {
    let addr = |s: &str| -> Result<Address, DigestError> {
        s.parse::<lettre::message::Mailbox>()
            .map(|m| m.email)
            .map_err(|e| DigestError::Address(s.to_string(), e.to_string()))
    };
    let to = recipients
        .iter()
        .map(|r| addr(r))
        .collect::<Result<Vec<_>, _>>()?;
    Envelope::new(Some(addr(sender)?), to).map_err(|e| DigestError::Build(e.to_string()))
}

fn transport(cfg: &Config, smtp: &SmtpConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, DigestError> {
    let builder = match smtp.security {
        Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host),
        Security::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host),
        Security::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
            &smtp.host,
        )),
    }
    .map_err(|e| DigestError::Smtp(e.to_string()))?;
    let mut builder = builder.port(smtp.port()).timeout(Some(cfg.digest.send_timeout));
    if let Some(user) = &smtp.username {
        builder = builder.credentials(Credentials::new(user.clone(), password(cfg, smtp)?));
    }
    Ok(builder.build())
}

/// Checks, before anything starts, that the SMTP password can be had as `[smtp]` says: an
/// error names the config file, the line and the key.
pub fn check_password(cfg: &Config) -> anyhow::Result<()> {
    let Some(smtp) = cfg.smtp.as_ref().filter(|s| s.username.is_some()) else {
        return Ok(());
    };
    password(cfg, smtp).map(drop).map_err(|e| {
        let key = if smtp.password_file.is_some() {
            "password_file"
        } else {
            "password_env"
        };
        let line = std::fs::read_to_string(&cfg.path)
            .ok()
            .and_then(|t| t.lines().position(|l| l.trim_start().starts_with(key)))
            .map_or(String::new(), |n| format!(":{}", n + 1));
        let msg = e.to_string();
        anyhow::anyhow!(
            "{}{line}: smtp.{key}: {}",
            cfg.path.display(),
            msg.strip_prefix("password: ").unwrap_or(&msg)
        )
    })
}

/// The SMTP password, from a file (refused when others can read it) or the environment;
/// never from the config file, and never logged.
fn password(cfg: &Config, smtp: &SmtpConfig) -> Result<String, DigestError> {
    let dir = cfg.path.parent().unwrap_or(Path::new("."));
    if let Some(path) = smtp.password_path(dir) {
        let meta = std::fs::metadata(&path)
            .map_err(|e| DigestError::Password(format!("cannot read {}: {e}", path.display())))?;
        if std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o004 != 0 {
            return Err(DigestError::Password(format!(
                "{} is readable by every user; make it private (chmod 600)",
                path.display()
            )));
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| DigestError::Password(format!("cannot read {}: {e}", path.display())))?;
        return Ok(text.trim_end_matches(['\r', '\n']).to_string());
    }
    if let Some(var) = &smtp.password_env {
        return std::env::var(var).map_err(|_| DigestError::Password(format!("${var} is not set")));
    }
    Err(DigestError::Password(
        "smtp.username is set but neither password_file nor password_env is".into(),
    ))
}

/// Writes the message to the outbox folder, readable by its owner only.
fn write_eml(cfg: &Config, q: &Queued) -> Result<(), DigestError> {
    let dir = cfg
        .digest
        .outbox_dir
        .clone()
        .unwrap_or_else(|| Path::new("outbox").to_path_buf());
    crate::private::create_dir_all(&dir, Share::Owner)
        .map_err(|e| DigestError::Outbox(format!("{}: {e}", dir.display())))?;
    let path = dir.join(format!(
        "{}-digest-{}.eml",
        q.created.format("%Y%m%d-%H%M%S"),
        q.id
    ));
    crate::private::write(&path, &q.message, Share::Owner)
        .map_err(|e| DigestError::Outbox(format!("{}: {e}", path.display())))
}
