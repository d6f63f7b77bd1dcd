//! A FAQ per server, end to end against the fake Discord: with
//! `[discord] faq_root`, each server is answered from its own folder (or
//! the default FAQ), a broken edit in one server's folder leaves that
//! server on its last good version and the others untouched, a server
//! whose folder never loaded is told so, and a moderator of one server is
//! refused in another.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

use crate::reload::{
    copy_bundled_faq, with_penguins, EDITED_FILE, PENGUIN_ANSWER, PENGUIN_QUESTION,
};
use crate::support::bot::{
    ask_slash, assert_no_pings, assert_refused_to_non_moderators, deferred_private_reply, interact,
    private_reply, start_bot_with, Running,
};
use crate::support::fake_discord::{guild_command, with_member_rights, FakeDiscord};

/// Servers with folders of their own: A and B (good), D (broken from the
/// start); C has none.
const SERVER_A: u64 = 1_100_000_000_000_000_110;
const SERVER_B: u64 = 1_100_000_000_000_000_120;
const SERVER_C: u64 = 1_100_000_000_000_000_130;
const SERVER_D: u64 = 1_100_000_000_000_000_140;
/// A's moderator role (role ids belong to one server).
const MOD_ROLE_A: u64 = 1_100_000_000_000_000_111;
const REPORT_TIMEOUT: Duration = Duration::from_secs(15);

/// `payload` as if sent in server `guild`.
fn in_server(mut payload: Value, guild: u64) -> Value {
    payload["guild_id"] = json!(guild.to_string());
    payload
}

/// The answer's text (embed description) to `question` in `guild`, if the
/// reply is an answer.
async fn answer_in(fake: &FakeDiscord, guild: u64, question: &str) -> Option<String> {
    let cb = interact(fake, in_server(ask_slash(question), guild)).await;
    assert_no_pings(&cb.body);
    cb.body["data"]["embeds"][0]["description"]
        .as_str()
        .map(str::to_string)
}

fn answers_penguins(answer: Option<&str>) -> bool {
    answer.is_some_and(|a| a.contains(PENGUIN_ANSWER))
}

const BUNDLED_QUESTION: &str = "Can host country authorities enter an embassy without permission?";

fn answers_from_bundled(answer: Option<&str>) -> bool {
    answer.is_some_and(|a| a.contains("Vienna Convention"))
}

struct Servers {
    _tmp: tempfile::TempDir,
    default: PathBuf,
    root: PathBuf,
}

impl Servers {
    /// The default FAQ (bundled), A's (bundled + penguins), B's (bundled),
    /// D's (broken).
    fn new() -> Servers {
        let tmp = tempfile::tempdir().expect("tempdir");
        let default = tmp.path().join("faq");
        let root = tmp.path().join("faqs");
        copy_bundled_faq(&default);
        for server in [SERVER_A, SERVER_B, SERVER_D] {
            copy_bundled_faq(&root.join(server.to_string()));
        }
        let servers = Servers {
            _tmp: tmp,
            default,
            root,
        };
        let original = servers.read(SERVER_A, EDITED_FILE);
        servers.write(SERVER_A, EDITED_FILE, &with_penguins(&original, false).0);
        servers.write(SERVER_D, EDITED_FILE, &with_penguins(&original, true).0);
        servers
    }

    fn file(&self, server: u64, name: &str) -> PathBuf {
        self.root.join(server.to_string()).join(name)
    }

    fn read(&self, server: u64, name: &str) -> String {
        std::fs::read_to_string(self.file(server, name)).expect("read")
    }

    fn write(&self, server: u64, name: &str, text: &str) {
        std::fs::write(self.file(server, name), text).expect("write");
    }

    async fn start(&self) -> Running {
        let root = self.root.clone();
        start_bot_with(Path::new(&self.default), move |s| {
            s.faq_root = Some(root);
            s.moderator_roles = vec![MOD_ROLE_A];
            s.watch_faq = false;
        })
        .await
    }
}

/// `/faq-reload` in `guild` by a member with `roles` and no Manage Server.
fn reload_in(guild: u64, roles: &[u64]) -> Value {
    in_server(
        with_member_rights(guild_command("faq-reload", json!([])), 0, roles),
        guild,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_server_is_answered_from_its_own_faq_and_a_broken_edit_stays_in_its_server() {
    let servers = Servers::new();
    let bot = servers.start().await;
    let fake = &bot.fake;

    // Each server its own FAQ; C has none and gets the default.
    assert!(answers_penguins(
        answer_in(fake, SERVER_A, PENGUIN_QUESTION).await.as_deref()
    ));
    assert!(!answers_penguins(
        answer_in(fake, SERVER_B, PENGUIN_QUESTION).await.as_deref()
    ));
    assert!(!answers_penguins(
        answer_in(fake, SERVER_C, PENGUIN_QUESTION).await.as_deref()
    ));
    assert!(answers_from_bundled(
        answer_in(fake, SERVER_C, BUNDLED_QUESTION).await.as_deref()
    ));

    // D's folder was broken at start: D is told, privately, never answered
    // from another server's FAQ.
    let cb = interact(fake, in_server(ask_slash(PENGUIN_QUESTION), SERVER_D)).await;
    let (_, text) = private_reply(&cb);
    assert_eq!(text, faqbot::discord::route::FAQ_UNAVAILABLE, "{}", cb.body);

    // A broken edit in A, reloaded by A's moderator: reported, and A keeps
    // its last good version; B and the default are untouched.
    let good = servers.read(SERVER_A, EDITED_FILE);
    let broken = good.replace(
        &format!("answer = \"{PENGUIN_ANSWER}\""),
        &format!("answr = \"{PENGUIN_ANSWER}\""),
    );
    assert_ne!(good, broken);
    servers.write(SERVER_A, EDITED_FILE, &broken);
    let report =
        deferred_private_reply(fake, reload_in(SERVER_A, &[MOD_ROLE_A]), REPORT_TIMEOUT).await;
    assert!(report.starts_with("FAQ reload failed"), "{report}");
    assert!(report.contains(EDITED_FILE), "names the file: {report}");
    assert!(answers_penguins(
        answer_in(fake, SERVER_A, PENGUIN_QUESTION).await.as_deref()
    ));
    assert!(answers_from_bundled(
        answer_in(fake, SERVER_B, BUNDLED_QUESTION).await.as_deref()
    ));
    assert!(answers_from_bundled(
        answer_in(fake, SERVER_C, BUNDLED_QUESTION).await.as_deref()
    ));

    // A's moderator, with A's role, is refused in B.
    let cb = interact(fake, reload_in(SERVER_B, &[MOD_ROLE_A + 1])).await;
    assert_refused_to_non_moderators(&cb);

    // D fixed, and reloaded by a member with Manage Server in D: D now
    // answers from its own folder.
    let fixed = servers
        .read(SERVER_D, EDITED_FILE)
        .replace("answr = ", "answer = ");
    servers.write(SERVER_D, EDITED_FILE, &fixed);
    let manage_server = in_server(
        with_member_rights(guild_command("faq-reload", json!([])), 1 << 5, &[]),
        SERVER_D,
    );
    let report = deferred_private_reply(fake, manage_server, REPORT_TIMEOUT).await;
    assert!(report.starts_with("FAQ reloaded"), "{report}");
    assert!(answers_penguins(
        answer_in(fake, SERVER_D, PENGUIN_QUESTION).await.as_deref()
    ));
}
