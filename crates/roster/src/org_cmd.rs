//! `roster org …`.

use directory::github;
use directory::render::timestamp;

use crate::cli::OrgCmd;
use crate::enterprise_cmd::open;

pub async fn run(cmd: OrgCmd) -> Result<(), String> {
    match cmd {
        OrgCmd::Create {
            login,
            enterprise,
            db,
            json,
        } => {
            let directory = open(&db).await?;
            let caller = directory
                .operator(enterprise.as_deref())
                .await
                .map_err(|e| e.to_string())?;
            let org = directory
                .create_organization(&caller, &login)
                .await
                .map_err(|e| e.to_string())?;
            if json {
                println!("{}", github::organization("/api/v3", &org));
            } else {
                println!(
                    "Created organization '{}' (id {}) in enterprise '{}'.",
                    org.login, org.id, caller.enterprise.slug
                );
            }
            Ok(())
        }
        OrgCmd::List {
            enterprise,
            db,
            json,
        } => {
            let directory = open(&db).await?;
            let caller = directory
                .operator(enterprise.as_deref())
                .await
                .map_err(|e| e.to_string())?;
            for org in directory
                .organizations(&caller)
                .await
                .map_err(|e| e.to_string())?
            {
                if json {
                    println!("{}", github::organization("/api/v3", &org));
                } else {
                    println!("{}\t{}\t{}", org.id, org.login, timestamp(org.created));
                }
            }
            Ok(())
        }
    }
}
