//! File systems that fail on demand, for the storage fault tests: a small tmpfs (fills up),
//! and an ext4 image on a loop device mounted `errors=remount-ro`, which the kernel turns
//! read-only under open files when told of an error, as it does when a disk fails. These need
//! root, mount(8), losetup(8) and mkfs.ext4 (`.ci/run` installs them); without them the tests
//! fail saying so.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A mounted file system, unmounted on drop.
pub struct Mount {
    /// Where it is mounted.
    pub path: PathBuf,
    image: Option<PathBuf>,
    _dir: tempfile::TempDir,
}

fn run(what: &str, program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap_or_else(|e| {
        panic!("cannot {what}: `{program}` did not run ({e}); these tests need root and {program} (.ci/run installs it)")
    });
    assert!(
        out.status.success(),
        "cannot {what}: `{program} {}` failed: {}; these tests need root, mount(8), losetup(8), mkfs.ext4 and loop devices",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn mount_point(dir: &tempfile::TempDir) -> PathBuf {
    let path = dir.path().join("mnt");
    std::fs::create_dir(&path).expect("mount point");
    path
}

impl Mount {
    /// A tmpfs of `size` (as mount(8) takes it: `4m`).
    pub fn tmpfs(size: &str) -> Mount {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = mount_point(&dir);
        let options = format!("size={size}");
        run(
            "mount a tmpfs",
            "mount",
            &[
                "-t",
                "tmpfs",
                "-o",
                &options,
                "tmpfs",
                &path.to_string_lossy(),
            ],
        );
        Mount {
            path,
            image: None,
            _dir: dir,
        }
    }

    /// An ext4 file system of `mib` MiB in an image file, mounted through a loop device.
    pub fn ext4(mib: u64) -> Mount {
        let dir = tempfile::tempdir().expect("tempdir");
        let image = dir.path().join("fs.img");
        let file = std::fs::File::create(&image).expect("image");
        file.set_len(mib * 1024 * 1024).expect("image size");
        drop(file);
        let image_arg = image.to_string_lossy().into_owned();
        run(
            "make an ext4 file system",
            "mkfs.ext4",
            &["-q", "-F", &image_arg],
        );
        let path = mount_point(&dir);
        run(
            "mount an ext4 image",
            "mount",
            &[
                "-o",
                "loop,errors=remount-ro",
                &image_arg,
                &path.to_string_lossy(),
            ],
        );
        Mount {
            path,
            image: Some(image),
            _dir: dir,
        }
    }

    /// Report an error to ext4, which then remounts itself read-only (`errors=remount-ro`):
    /// every write through a descriptor already open fails from now on.
    pub fn fail_ext4(&self) {
        let image = self.image.as_ref().expect("an ext4 image");
        let found = run(
            "find the loop device",
            "losetup",
            &["-j", &image.to_string_lossy()],
        );
        let device = found
            .split(':')
            .next()
            .and_then(|d| Path::new(d.trim()).file_name())
            .map(|d| d.to_string_lossy().into_owned())
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| panic!("no loop device for {}: {found}", image.display()));
        let trigger = format!("/sys/fs/ext4/{device}/trigger_fs_error");
        std::fs::write(&trigger, "roster storage fault test\n")
            .unwrap_or_else(|e| panic!("cannot write {trigger}: {e}"));
    }

    /// Remount read-only (only works while no file on it is open for writing).
    pub fn remount_read_only(&self) {
        run(
            "remount read-only",
            "mount",
            &["-o", "remount,ro", &self.path.to_string_lossy()],
        );
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        // Lazily: a server killed a moment ago may still be closing its files.
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}
