//! `roster team …`.

use directory::model::Privacy;
use directory::teams::TeamRequest;
use directory::{Directory, github};

use crate::cli::TeamCmd;
use crate::enterprise_cmd::open;

async fn team_json(
    directory: &Directory,
    org: &str,
    team: &directory::model::Team,
) -> Result<serde_json::Value, String> {
    let parent = match team.parent_id {
        Some(id) => directory.team_by_id(id).await.map_err(|e| e.to_string())?,
        None => None,
    };
    Ok(github::team("/api/v3", org, team, parent.as_ref()))
}

pub async fn run(cmd: TeamCmd) -> Result<(), String> {
    match cmd {
        TeamCmd::Create {
            name,
            org,
            description,
            privacy,
            parent,
            db,
            json,
        } => {
            let directory = open(&db).await?;
            let caller = directory
                .operator_for_org(&org)
                .await
                .map_err(|e| e.to_string())?;
            let parent_team_id = match parent {
                Some(slug) => Some(
                    directory
                        .team(&caller, &org, &slug)
                        .await
                        .map_err(|e| e.to_string())?
                        .1
                        .id,
                ),
                None => None,
            };
            let request = TeamRequest {
                name,
                description,
                privacy: privacy.as_deref().and_then(Privacy::parse),
                parent_team_id,
            };
            let team = directory
                .create_team(&caller, &org, &request)
                .await
                .map_err(|e| e.to_string())?;
            if json {
                println!("{}", team_json(&directory, &org, &team).await?);
            } else {
                println!(
                    "Created team '{}' (slug {}, id {}) in organization '{org}'.",
                    team.name, team.slug, team.id
                );
            }
            Ok(())
        }
        TeamCmd::List { org, db, json } => {
            let directory = open(&db).await?;
            let caller = directory
                .operator_for_org(&org)
                .await
                .map_err(|e| e.to_string())?;
            for team in directory
                .teams(&caller, &org)
                .await
                .map_err(|e| e.to_string())?
            {
                if json {
                    println!("{}", team_json(&directory, &org, &team).await?);
                } else {
                    println!(
                        "{}\t{}\t{}\t{}\t{}",
                        team.id,
                        team.slug,
                        team.privacy.as_str(),
                        team.parent_id
                            .map(|p| p.to_string())
                            .unwrap_or_else(|| "-".into()),
                        team.group_id.as_deref().unwrap_or("-")
                    );
                }
            }
            Ok(())
        }
        TeamCmd::Link {
            team,
            group_id,
            org,
            db,
            json,
        } => {
            let directory = open(&db).await?;
            let caller = directory
                .operator_for_org(&org)
                .await
                .map_err(|e| e.to_string())?;
            let outcome = directory
                .link_team(&caller, &org, &team, &group_id)
                .await
                .map_err(|e| e.to_string())?;
            if json {
                let mut out = github::external_group(&outcome.group);
                if let (Some(r), Some(map)) = (&outcome.replaced, out.as_object_mut()) {
                    map.insert("replaced_group_id".into(), r.clone().into());
                }
                println!("{out}");
            } else {
                if let Some(r) = &outcome.replaced {
                    println!("Team '{team}' was linked to group {r}; that link was replaced.");
                }
                println!(
                    "Linked team '{team}' to group '{}' ({}); the team has {} member(s).",
                    outcome.group.group.display_name,
                    outcome.group.group.id,
                    outcome.group.members.iter().filter(|u| u.active).count()
                );
            }
            Ok(())
        }
        TeamCmd::Unlink { team, org, db } => {
            let directory = open(&db).await?;
            let caller = directory
                .operator_for_org(&org)
                .await
                .map_err(|e| e.to_string())?;
            match directory
                .unlink_team(&caller, &org, &team)
                .await
                .map_err(|e| e.to_string())?
            {
                Some(group) => {
                    println!("Unlinked team '{team}' from group {group}; it has no members now.")
                }
                None => println!("Team '{team}' was not linked to a group; nothing changed."),
            }
            Ok(())
        }
    }
}
