//! The fake's shards, as Discord keeps them: every live gateway connection
//! ([`Conn`]) is known by the `[id, total]` its IDENTIFY (op 2) named
//! (`[0, 1]` before it identifies, or when it identifies without `shard`),
//! a resume (op 6) takes the shard of the session it resumes, and each
//! session has its own sequence numbers. This module owns that registry
//! ([`Gateway`]), the IDENTIFY log ([`Identify`], [`IdentifyGap`]), the
//! session start limit `GET /gateway/bot` reports, and the routing of
//! dispatches: an event with a guild goes to shard
//! `(guild_id >> 22) % total` ([`shard_of`]), one without (DMs) to shard
//! 0, where `total` is the count the fake expects
//! ([`super::Options::total_shards`]). An event whose shard has no ready
//! connection is not delivered ([`DispatchError::NotConnected`]). The
//! websocket protocol is in [`super::gateway`], the API tests call in
//! [`super::gateway_api`].

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::gateway::{GatewayFrame, Outgoing};
use super::payloads::str_field;

/// Milliseconds since Discord's epoch (2015-01-01) at 2024-06-01, for
/// [`guild_on_shard`]'s timestamps.
const SNOWFLAKE_MS_2024: u64 = 297_129_600_000;
/// The low 22 bits (worker, process, increment) of [`guild_on_shard`]'s ids.
static NEXT_GUILD: AtomicU64 = AtomicU64::new(1);

/// The shard Discord sends a guild's events to: `(guild_id >> 22) % total`.
pub fn shard_of(guild_id: u64, total: u32) -> u32 {
    let total = u64::from(total.max(1));
    u32::try_from((guild_id >> 22) % total).expect("below a u32 total")
}

/// A fresh guild id (a snowflake from 2024, unique within the test
/// process) whose events go to `shard` of `total` ([`shard_of`]).
/// Panics unless `shard < total`.
pub fn guild_on_shard(shard: u32, total: u32) -> u64 {
    assert!(shard < total, "shard {shard} of {total} does not exist");
    let total = u64::from(total);
    let timestamp = SNOWFLAKE_MS_2024 - SNOWFLAKE_MS_2024 % total + u64::from(shard);
    let low = NEXT_GUILD.fetch_add(1, Ordering::Relaxed) & 0x3F_FFFF;
    (timestamp << 22) | low
}

/// The guild an event belongs to: its `guild_id`, or for `GUILD_CREATE`,
/// `GUILD_UPDATE` and `GUILD_DELETE` (the guild itself) its `id`.
pub fn event_guild(event: &str, data: &Value) -> Option<u64> {
    let key = match event {
        "GUILD_CREATE" | "GUILD_UPDATE" | "GUILD_DELETE" => "id",
        _ => "guild_id",
    };
    str_field(data, key)?.parse().ok()
}

/// A live gateway connection, as [`FakeDiscord::gateway_connections`]
/// shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardConnection {
    /// 1 for the first websocket connection, 2 for the next, ...
    pub connection: usize,
    /// `[id, total]` from its IDENTIFY or the session it resumed; `0` of
    /// `1` before either.
    pub shard: u32,
    pub total: u32,
    /// It holds a session (identified or resumed).
    pub identified: bool,
    /// It got READY or RESUMED and is not being closed by the fake.
    pub ready: bool,
}

/// One IDENTIFY the fake accepted (answered with READY).
#[derive(Clone, Debug)]
pub struct Identify {
    pub connection: usize,
    pub shard: u32,
    pub total: u32,
    /// When the fake received it.
    pub at: Instant,
}

/// Two consecutive IDENTIFYs in one rate-limit bucket
/// (`shard % max_concurrency`), from [`FakeDiscord::identify_bucket_gaps`].
/// Discord allows one IDENTIFY per bucket every 5 s.
#[derive(Clone, Debug)]
pub struct IdentifyGap {
    pub bucket: u32,
    /// The shard of the earlier IDENTIFY, then of the later one.
    pub shards: (u32, u32),
    pub gap: Duration,
}

/// One dispatch the fake sent, from [`FakeDiscord::dispatches`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dispatched {
    /// The connection and shard it went to.
    pub connection: usize,
    pub shard: u32,
    /// Its sequence number in that shard's session.
    pub seq: u64,
    pub event: String,
}

/// Why [`FakeDiscord::try_dispatch`] sent nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DispatchError {
    /// serenity would not turn the payload into the event it names (see
    /// [`super::check_event`]).
    Unparsable(String),
    /// The shard the event belongs to had no ready connection within the
    /// wait, so Discord would not deliver it either. `live` is the
    /// `[id, total]` of every live connection then.
    NotConnected {
        shard: u32,
        total: u32,
        live: Vec<[u32; 2]>,
    },
}

impl fmt::Display for DispatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unparsable(why) => f.write_str(why),
            Self::NotConnected { shard, total, live } => write!(
                f,
                "not delivered: shard {shard} of {total} has no ready gateway connection \
                 (live connections as [shard, total]: {live:?})"
            ),
        }
    }
}

impl std::error::Error for DispatchError {}

/// A live connection in the fake's state.
pub(super) struct Conn {
    pub(super) id: usize,
    pub(super) tx: mpsc::UnboundedSender<Outgoing>,
    pub(super) shard: [u32; 2],
    /// The session it identified or resumed, if any.
    pub(super) session: Option<String>,
    pub(super) ready: bool,
}

/// A session a connection can resume.
struct Session {
    shard: [u32; 2],
    seq: u64,
}

/// What a successful IDENTIFY gives the connection.
pub(super) struct Identified {
    pub(super) session_id: String,
    pub(super) shard: [u32; 2],
}

/// The gateway side of the fake's state.
pub(super) struct Gateway {
    /// Every frame clients sent, in order.
    pub(super) frames: Vec<GatewayFrame>,
    /// Websocket connections accepted so far.
    pub(super) accepted: usize,
    /// The live ones, oldest first.
    pub(super) conns: Vec<Conn>,
    /// Resumable sessions by id: the latest IDENTIFY of each shard.
    sessions: HashMap<String, Session>,
    started_sessions: u64,
    /// The session id sent in the last READY.
    pub(super) last_session: Option<String>,
    pub(super) identifies: Vec<Identify>,
    /// Every dispatch sent (not READY or RESUMED), in order.
    pub(super) dispatched: Vec<Dispatched>,
    /// The shard count the fake expects (routing, `/gateway/bot`).
    pub(super) total: u32,
    /// `session_start_limit.max_concurrency`.
    pub(super) max_concurrency: u32,
    remaining: u32,
}

/// `session_start_limit.total` of `/gateway/bot`.
const SESSION_STARTS: u32 = 1000;

impl Gateway {
    pub(super) fn new(total: u32, max_concurrency: u32) -> Self {
        Self {
            frames: Vec::new(),
            accepted: 0,
            conns: Vec::new(),
            sessions: HashMap::new(),
            started_sessions: 0,
            last_session: None,
            identifies: Vec::new(),
            dispatched: Vec::new(),
            total: total.max(1),
            max_concurrency: max_concurrency.max(1),
            remaining: SESSION_STARTS,
        }
    }

    /// A new connection, shard 0 of 1 until it identifies; its id.
    pub(super) fn connect(&mut self, tx: mpsc::UnboundedSender<Outgoing>) -> usize {
        self.accepted += 1;
        self.conns.push(Conn {
            id: self.accepted,
            tx,
            shard: [0, 1],
            session: None,
            ready: false,
        });
        self.accepted
    }

    /// The connection `id` is gone (closed, dropped or failed).
    pub(super) fn disconnect(&mut self, id: usize) {
        self.conns.retain(|c| c.id != id);
    }

    pub(super) fn conn_mut(&mut self, id: usize) -> Option<&mut Conn> {
        self.conns.iter_mut().find(|c| c.id == id)
    }

    /// IDENTIFY `d` on connection `id`: a new session for the shard it
    /// names (earlier sessions of that shard can no longer resume), or the
    /// close code and reason Discord would answer.
    pub(super) fn identify(
        &mut self,
        id: usize,
        d: &Value,
    ) -> Result<Identified, (u16, &'static str)> {
        let shard = match d.get("shard") {
            None | Some(Value::Null) => [0, 1],
            Some(v) => match serde_json::from_value::<[u32; 2]>(v.clone()) {
                Ok([shard, total]) if shard < total => [shard, total],
                _ => return Err((4010, "Invalid shard")),
            },
        };
        let Some(conn) = self.conns.iter_mut().find(|c| c.id == id) else {
            return Err((4000, "fake Discord lost the connection"));
        };
        if conn.session.is_some() {
            return Err((4005, "Already authenticated"));
        }
        self.started_sessions += 1;
        let session_id = format!("fake-session-{}", self.started_sessions);
        conn.shard = shard;
        conn.session = Some(session_id.clone());
        self.sessions.retain(|_, s| s.shard[0] != shard[0]);
        self.sessions
            .insert(session_id.clone(), Session { shard, seq: 1 });
        self.last_session = Some(session_id.clone());
        self.remaining = self.remaining.saturating_sub(1);
        self.identifies.push(Identify {
            connection: id,
            shard: shard[0],
            total: shard[1],
            at: Instant::now(),
        });
        Ok(Identified { session_id, shard })
    }

    /// RESUME of `session_id` on connection `id`: the connection takes the
    /// session's shard, and the next sequence number (for RESUMED) is
    /// returned. `None` (and no session on the connection) if there is no
    /// such session.
    pub(super) fn resume(&mut self, id: usize, session_id: Option<&str>) -> Option<u64> {
        let session = session_id.and_then(|sid| Some((sid, self.sessions.get_mut(sid)?)));
        let conn = self.conns.iter_mut().find(|c| c.id == id)?;
        let Some((sid, session)) = session else {
            conn.session = None;
            return None;
        };
        session.seq += 1;
        conn.shard = session.shard;
        conn.session = Some(sid.to_string());
        Some(session.seq)
    }

    /// The shard `event` goes to with the expected total.
    pub(super) fn target(&self, event: &str, data: &Value) -> u32 {
        event_guild(event, data).map_or(0, |g| shard_of(g, self.total))
    }

    /// The connection that receives `shard`'s events: the newest ready one
    /// that holds a resumable session of `shard` of the expected total.
    fn receiver(&self, shard: u32) -> Option<&Conn> {
        self.conns
            .iter()
            .rev()
            .filter(|c| c.ready && c.shard == [shard, self.total])
            .find(|c| {
                c.session
                    .as_ref()
                    .is_some_and(|s| self.sessions.contains_key(s))
            })
    }

    pub(super) fn reachable(&self, shard: u32) -> bool {
        self.receiver(shard).is_some()
    }

    /// Sends `event` to `shard`'s receiver with its session's next
    /// sequence number, and returns that number.
    pub(super) fn send_dispatch(
        &mut self,
        shard: u32,
        event: &str,
        data: &Value,
    ) -> Result<u64, DispatchError> {
        let not_connected = |g: &Self| DispatchError::NotConnected {
            shard,
            total: g.total,
            live: g.conns.iter().map(|c| c.shard).collect(),
        };
        let Some(conn) = self.receiver(shard) else {
            return Err(not_connected(self));
        };
        let Some(session) = conn.session.as_ref().and_then(|s| self.sessions.get(s)) else {
            return Err(not_connected(self));
        };
        let seq = session.seq + 1;
        let frame = json!({"op": 0, "s": seq, "t": event, "d": data});
        if conn.tx.send(Outgoing::Text(frame.to_string())).is_err() {
            return Err(not_connected(self));
        }
        let (connection, sid) = (conn.id, conn.session.clone());
        if let Some(session) = sid.and_then(|s| self.sessions.get_mut(&s)) {
            session.seq = seq;
        }
        self.dispatched.push(Dispatched {
            connection,
            shard,
            seq,
            event: event.to_string(),
        });
        Ok(seq)
    }

    /// Asks `shard`'s receiver to close with `code`; it is no longer ready.
    pub(super) fn close(&mut self, shard: u32, code: u16) -> Result<(), String> {
        let Some(id) = self.receiver(shard).map(|c| c.id) else {
            return Err(format!("shard {shard} has no ready gateway connection"));
        };
        let conn = self.conn_mut(id).expect("the receiver is live");
        conn.ready = false;
        let reason = format!("fake Discord closed with {code}");
        conn.tx
            .send(Outgoing::Close(code, reason))
            .map_err(|_| format!("shard {shard}'s gateway connection went away"))
    }

    /// The shards with a receiver, in order.
    pub(super) fn ready_shards(&self) -> Vec<u32> {
        (0..self.total).filter(|&s| self.reachable(s)).collect()
    }

    pub(super) fn connections(&self) -> Vec<ShardConnection> {
        self.conns
            .iter()
            .map(|c| ShardConnection {
                connection: c.id,
                shard: c.shard[0],
                total: c.shard[1],
                identified: c.session.is_some(),
                ready: c.ready,
            })
            .collect()
    }

    /// Consecutive accepted IDENTIFYs in the same bucket.
    pub(super) fn bucket_gaps(&self) -> Vec<IdentifyGap> {
        let mut last: HashMap<u32, &Identify> = HashMap::new();
        let mut gaps = Vec::new();
        for identify in &self.identifies {
            let bucket = identify.shard % self.max_concurrency;
            if let Some(earlier) = last.insert(bucket, identify) {
                gaps.push(IdentifyGap {
                    bucket,
                    shards: (earlier.shard, identify.shard),
                    gap: identify.at - earlier.at,
                });
            }
        }
        gaps
    }

    /// The `GET /gateway/bot` answer.
    pub(super) fn gateway_bot(&self, url: &str) -> Value {
        json!({
            "url": url,
            "shards": self.total,
            "session_start_limit": {
                "total": SESSION_STARTS,
                "remaining": self.remaining,
                "reset_after": 86_400_000,
                "max_concurrency": self.max_concurrency,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gateway_with_conn(total: u32) -> (Gateway, usize) {
        let mut gateway = Gateway::new(total, 1);
        // The receiver is dropped: these tests send nothing.
        let id = gateway.connect(mpsc::unbounded_channel().0);
        (gateway, id)
    }

    #[test]
    fn guild_on_shard_makes_2024_snowflakes_that_land_on_the_shard() {
        for total in [1, 2, 3, 16] {
            for shard in 0..total {
                let a = guild_on_shard(shard, total);
                let b = guild_on_shard(shard, total);
                assert_ne!(a, b, "fresh ids");
                assert_eq!(shard_of(a, total), shard);
                assert_eq!(shard_of(b, total), shard);
                // Discord's epoch is 2015-01-01: 2024 is 9 to 10 years on.
                let years = (a >> 22) as f64 / (365.25 * 24.0 * 3600.0 * 1000.0);
                assert!((9.0..10.0).contains(&years), "{a}: {years} years");
            }
        }
        assert_eq!(shard_of(super::super::GUILD_ID, 1), 0);
    }

    #[test]
    fn events_route_by_guild_and_dms_go_to_shard_0() {
        let (gateway, _) = gateway_with_conn(4);
        let g = guild_on_shard(3, 4);
        let gs = g.to_string();
        assert_eq!(
            gateway.target("MESSAGE_CREATE", &json!({"guild_id": gs})),
            3
        );
        assert_eq!(gateway.target("MESSAGE_CREATE", &json!({"guild_id": g})), 3);
        assert_eq!(gateway.target("GUILD_CREATE", &json!({"id": gs})), 3);
        assert_eq!(
            gateway.target("MESSAGE_CREATE", &json!({"channel_id": "1"})),
            0
        );
    }

    #[test]
    fn identify_without_shard_is_shard_0_of_1_and_a_bad_shard_is_refused() {
        let (mut gateway, id) = gateway_with_conn(1);
        let ok = gateway
            .identify(id, &json!({"token": "t"}))
            .expect("accepted");
        assert_eq!(ok.shard, [0, 1]);
        assert_eq!(gateway.identifies[0].shard, 0);
        assert_eq!(
            gateway.identify(id, &json!({"shard": [0, 1]})).err(),
            Some((4005, "Already authenticated"))
        );
        for bad in [json!([2, 2]), json!([0, 0]), json!("0,1"), json!([1])] {
            let (mut gateway, id) = gateway_with_conn(2);
            assert_eq!(
                gateway.identify(id, &json!({"shard": bad})).err(),
                Some((4010, "Invalid shard")),
                "{bad}"
            );
            assert!(gateway.identifies.is_empty());
        }
    }

    #[test]
    fn a_resume_keeps_the_shard_and_a_new_identify_ends_the_old_session() {
        let (mut gateway, first) = gateway_with_conn(2);
        let session = gateway
            .identify(first, &json!({"shard": [1, 2]}))
            .expect("accepted")
            .session_id;
        gateway.disconnect(first);
        let second = gateway.connect(mpsc::unbounded_channel().0);
        assert_eq!(gateway.conns[0].shard, [0, 1], "not identified yet");
        assert_eq!(gateway.resume(second, Some(&session)), Some(2));
        assert_eq!(gateway.conns[0].shard, [1, 2]);
        // Shard 1 identifies afresh elsewhere: the old session is gone.
        let third = gateway.connect(mpsc::unbounded_channel().0);
        gateway
            .identify(third, &json!({"shard": [1, 2]}))
            .expect("accepted");
        let fourth = gateway.connect(mpsc::unbounded_channel().0);
        assert_eq!(gateway.resume(fourth, Some(&session)), None);
        assert_eq!(gateway.resume(fourth, None), None);
    }
}
