//! `roster migrate --from sqlite://… --to postgres://…`: copy everything, with a progress bar on
//! stderr, then print the verified row counts.

use std::io::Write;

use store::copy::{CopyProgress, copy};

use crate::cli::MigrateArgs;

const WIDTH: u64 = 30;

/// One line, redrawn in place: `users      [#########.....]  1200/4000`.
fn draw(p: CopyProgress<'_>) {
    let filled = (p.copied * WIDTH).checked_div(p.total).unwrap_or(WIDTH);
    let bar: String = (0..WIDTH)
        .map(|i| if i < filled { '#' } else { '.' })
        .collect();
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "\r{:<14} [{bar}] {:>9}/{}", p.table, p.copied, p.total);
    if p.copied == p.total {
        let _ = writeln!(err);
    }
    let _ = err.flush();
}

pub async fn run(args: MigrateArgs) -> Result<(), String> {
    eprintln!("Copying {} into {}", args.from, args.to);
    let counts = copy(&args.from, &args.to, &mut draw)
        .await
        .map_err(|e| e.to_string())?;
    println!("Copied and verified:");
    for c in &counts {
        println!("  {:<14} {} rows", c.table, c.rows);
    }
    println!("Start `roster serve --database {}` now.", args.to);
    Ok(())
}
