//! `roster token …`.

use directory::model::Scope;
use directory::render::timestamp;
use serde_json::json;

use crate::cli::TokenCmd;
use crate::duration;
use crate::enterprise_cmd::open;

pub async fn run(cmd: TokenCmd) -> Result<(), String> {
    match cmd {
        TokenCmd::Create {
            enterprise,
            scopes,
            expires_in,
            db,
            json,
        } => {
            let scopes = scopes
                .iter()
                .map(|s| {
                    Scope::parse(s)
                        .ok_or_else(|| format!("unknown scope '{s}': use {}", Scope::names()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let lifetime = expires_in.as_deref().map(duration::parse).transpose()?;
            let directory = open(&db).await?;
            let issued = directory
                .create_token(&enterprise, scopes, lifetime)
                .await
                .map_err(|e| e.to_string())?;
            let scopes: Vec<&str> = issued.token.scopes.iter().map(|s| s.as_str()).collect();
            let expires = issued.token.expires_at.map(timestamp);
            if json {
                println!(
                    "{}",
                    json!({ "enterprise": enterprise, "token_id": issued.token.id, "owner": issued.token.owner, "scopes": scopes, "expires_at": expires, "token": issued.secret })
                );
            } else {
                println!(
                    "Token {} for {} ({}), expires {} (shown once, store it now):",
                    issued.token.id,
                    issued.token.owner,
                    scopes.join(" "),
                    expires.as_deref().unwrap_or("never")
                );
                println!("{}", issued.secret);
            }
            Ok(())
        }
        TokenCmd::List {
            enterprise,
            db,
            json,
        } => {
            let directory = open(&db).await?;
            let tokens = directory
                .tokens(enterprise.as_deref())
                .await
                .map_err(|e| e.to_string())?;
            if !json {
                println!("ID\tENTERPRISE\tOWNER\tSCOPES\tCREATED\tEXPIRES\tLAST USED\tSTATUS");
            }
            for (t, e) in tokens {
                let scopes: Vec<&str> = t.scopes.iter().map(|s| s.as_str()).collect();
                let status = if t.revoked_at.is_some() {
                    "revoked"
                } else if t
                    .expires_at
                    .is_some_and(|x| x <= time::OffsetDateTime::now_utc())
                {
                    "expired"
                } else {
                    "active"
                };
                if json {
                    println!(
                        "{}",
                        json!({ "id": t.id, "enterprise": e.slug, "owner": t.owner, "scopes": scopes, "created_at": timestamp(t.created), "expires_at": t.expires_at.map(timestamp), "last_used_at": t.last_used_at.map(timestamp), "revoked_at": t.revoked_at.map(timestamp), "status": status })
                    );
                } else {
                    let or_dash = |v: Option<time::OffsetDateTime>| {
                        v.map(timestamp).unwrap_or_else(|| "-".into())
                    };
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        t.id,
                        e.slug,
                        t.owner,
                        scopes.join(","),
                        timestamp(t.created),
                        or_dash(t.expires_at),
                        or_dash(t.last_used_at),
                        status
                    );
                }
            }
            Ok(())
        }
        TokenCmd::Revoke { id, db } => {
            let directory = open(&db).await?;
            let t = directory
                .revoke_token(&id)
                .await
                .map_err(|e| e.to_string())?;
            println!("Revoked token {} of {}.", t.id, t.owner);
            Ok(())
        }
    }
}
