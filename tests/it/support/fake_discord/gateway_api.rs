//! The gateway half of the [`FakeDiscord`] API tests call: what clients
//! sent (frames, IDENTIFYs with their times, resumes), which shards are
//! connected, waits for shards to become ready or go away, dispatches
//! (routed to the shard the event belongs to, see [`super::shards`]),
//! closing a shard's connection, and the shard count and session start
//! limit the fake expects and reports.

use std::time::Duration;

use serde_json::Value;

use super::gateway::{remember_dispatch, GatewayFrame};
use super::shards::{DispatchError, Dispatched, Identify, IdentifyGap, ShardConnection};
use super::{check_event, FakeDiscord, DEFAULT_TIMEOUT};

impl FakeDiscord {
    // ----- What clients sent -----

    /// How many websocket connections the gateway has accepted.
    pub fn connections(&self) -> usize {
        self.shared.state.borrow().gateway.accepted
    }

    /// Every frame the clients sent, in order.
    pub fn gateway_frames(&self) -> Vec<GatewayFrame> {
        self.shared.state.borrow().gateway.frames.clone()
    }

    /// The `d` of every Identify (op 2), accepted or not.
    pub fn identifies(&self) -> Vec<Value> {
        self.frames_with_op(2)
    }

    /// Every accepted IDENTIFY (answered with READY), with its shard and
    /// when it arrived, in order.
    pub fn identify_log(&self) -> Vec<Identify> {
        self.shared.state.borrow().gateway.identifies.clone()
    }

    /// Each pair of consecutive accepted IDENTIFYs in one rate-limit bucket
    /// (`shard % max_concurrency`, with the current
    /// [`Self::max_concurrency`]) and the time between them; Discord wants
    /// at least 5 s: `assert!(fake.identify_bucket_gaps().iter().all(|g|
    /// g.gap >= Duration::from_secs(5)))`.
    pub fn identify_bucket_gaps(&self) -> Vec<IdentifyGap> {
        self.shared.state.borrow().gateway.bucket_gaps()
    }

    /// The `d` of every Resume (op 6).
    pub fn resumes(&self) -> Vec<Value> {
        self.frames_with_op(6)
    }

    /// Every dispatch sent, with the connection and shard it went to, in
    /// order (READY and RESUMED not included).
    pub fn dispatches(&self) -> Vec<Dispatched> {
        self.shared.state.borrow().gateway.dispatched.clone()
    }

    /// The session id sent in the last READY (of any shard).
    pub fn session_id(&self) -> Option<String> {
        self.shared.state.borrow().gateway.last_session.clone()
    }

    // ----- Shards -----

    /// The shard count the fake expects: it routes guild events by it and
    /// `GET /gateway/bot` reports it as `shards`. Default 1.
    pub fn total_shards(&self) -> u32 {
        self.shared.state.borrow().gateway.total
    }

    /// Changes [`Self::total_shards`] (at least 1). Connections identified
    /// with another total no longer receive dispatches.
    pub fn set_total_shards(&self, total: u32) {
        self.shared
            .state
            .send_modify(|s| s.gateway.total = total.max(1));
    }

    /// `session_start_limit.max_concurrency` of `GET /gateway/bot`, and the
    /// bucket count of [`Self::identify_bucket_gaps`]. Default 1.
    pub fn max_concurrency(&self) -> u32 {
        self.shared.state.borrow().gateway.max_concurrency
    }

    /// Changes [`Self::max_concurrency`] (at least 1).
    pub fn set_max_concurrency(&self, max_concurrency: u32) {
        self.shared
            .state
            .send_modify(|s| s.gateway.max_concurrency = max_concurrency.max(1));
    }

    /// The shard a dispatch of `event` with `data` goes to: the guild's
    /// ([`super::shard_of`] with [`Self::total_shards`]), or 0 without a
    /// guild.
    pub fn target_shard(&self, event: &str, data: &Value) -> u32 {
        self.shared.state.borrow().gateway.target(event, data)
    }

    /// The shards that receive dispatches now: each has a live connection
    /// that got READY (or RESUMED), holds the shard's current session and
    /// identified with [`Self::total_shards`]. In order.
    pub fn connected_shards(&self) -> Vec<u32> {
        self.shared.state.borrow().gateway.ready_shards()
    }

    /// Every live gateway connection, oldest first, ready or not.
    pub fn gateway_connections(&self) -> Vec<ShardConnection> {
        self.shared.state.borrow().gateway.connections()
    }

    /// Waits until a connection has received READY (or RESUMED) and is
    /// still open, whatever its shard.
    pub async fn wait_until_ready(&self, timeout: Duration) -> Result<(), String> {
        self.wait_until(timeout, || {
            let state = self.shared.state.borrow();
            state.gateway.conns.iter().any(|c| c.ready).then_some(())
        })
        .await
        .map_err(|()| {
            format!(
                "no bot ready on the fake gateway within {timeout:?} ({})",
                self.gateway_summary()
            )
        })
    }

    /// Waits until every shard in `shards` is in [`Self::connected_shards`].
    pub async fn wait_until_ready_shards(
        &self,
        shards: &[u32],
        timeout: Duration,
    ) -> Result<(), String> {
        self.wait_until(timeout, || {
            let ready = self.connected_shards();
            shards.iter().all(|s| ready.contains(s)).then_some(())
        })
        .await
        .map_err(|()| {
            format!(
                "shards {shards:?} not all ready within {timeout:?} (ready: {:?}; {})",
                self.connected_shards(),
                self.gateway_summary()
            )
        })
    }

    /// Waits until `shard` is not in [`Self::connected_shards`] (e.g. its
    /// process was killed and the fake saw the connection drop).
    pub async fn wait_until_disconnected(
        &self,
        shard: u32,
        timeout: Duration,
    ) -> Result<(), String> {
        self.wait_until(timeout, || {
            (!self.connected_shards().contains(&shard)).then_some(())
        })
        .await
        .map_err(|()| {
            format!(
                "shard {shard} still connected after {timeout:?} ({})",
                self.gateway_summary()
            )
        })
    }

    /// The first frame (recorded or to come) that matches.
    pub async fn wait_for_frame(
        &self,
        pred: impl Fn(&GatewayFrame) -> bool,
        timeout: Duration,
    ) -> Result<GatewayFrame, String> {
        self.wait_until(timeout, || {
            self.gateway_frames().into_iter().find(|f| pred(f))
        })
        .await
        .map_err(|()| {
            format!(
                "no matching gateway frame within {timeout:?}; (connection, op) so far: {:?}",
                self.gateway_frames()
                    .iter()
                    .map(|f| (f.connection, f.op))
                    .collect::<Vec<_>>()
            )
        })
    }

    // ----- Dispatch and close -----

    /// Sends a dispatch (op 0, the session's next sequence number) to the
    /// shard it belongs to ([`Self::target_shard`]), waiting up to
    /// [`DEFAULT_TIMEOUT`] for that shard to be ready. Panics if the
    /// payload would become serenity's `Event::Unknown` (see
    /// [`check_event`]) or the shard is not connected. Returns the
    /// sequence number.
    pub async fn dispatch(&self, event: &str, data: Value) -> u64 {
        match self.try_dispatch(event, data, DEFAULT_TIMEOUT).await {
            Ok(seq) => seq,
            Err(err) => panic!("dispatch {event}: {err}"),
        }
    }

    /// [`Self::dispatch`] returning errors instead of panicking, waiting up
    /// to `timeout` for the shard (`Duration::ZERO`: only if it is ready
    /// now). An event for a shard that is not connected is not sent
    /// anywhere: [`DispatchError::NotConnected`].
    pub async fn try_dispatch(
        &self,
        event: &str,
        data: Value,
        timeout: Duration,
    ) -> Result<u64, DispatchError> {
        check_event(event, &data).map_err(DispatchError::Unparsable)?;
        self.dispatch_unchecked(event, data, timeout).await
    }

    /// Sends a dispatch without checking that serenity can parse it.
    pub async fn dispatch_unchecked(
        &self,
        event: &str,
        data: Value,
        timeout: Duration,
    ) -> Result<u64, DispatchError> {
        let shard = self.target_shard(event, &data);
        // On timeout, the send below reports the shard not connected.
        let _ = self
            .wait_until(timeout, || {
                self.shared
                    .state
                    .borrow()
                    .gateway
                    .reachable(shard)
                    .then_some(())
            })
            .await;
        let mut result = None;
        self.shared.state.send_modify(|s| {
            let sent = s.gateway.send_dispatch(shard, event, &data);
            if sent.is_ok() {
                remember_dispatch(s, event, &data);
            }
            result = Some(sent);
        });
        result.expect("send_modify ran")
    }

    /// Closes shard 0's gateway connection with `code` (the one connection
    /// of an unsharded bot); see [`Self::close_shard`].
    pub async fn close_gateway(&self, code: u16) -> Result<(), String> {
        self.close_shard(0, code).await
    }

    /// Closes `shard`'s gateway connection with `code` (e.g. 4000: the
    /// client reconnects and resumes; 4004 and 4010-4014 are fatal to
    /// serenity), waiting up to [`DEFAULT_TIMEOUT`] for the shard to be
    /// ready. It stops receiving dispatches at once.
    pub async fn close_shard(&self, shard: u32, code: u16) -> Result<(), String> {
        self.wait_until_ready_shards(&[shard], DEFAULT_TIMEOUT)
            .await?;
        let mut result = Err(format!("shard {shard} went away"));
        self.shared
            .state
            .send_modify(|s| result = s.gateway.close(shard, code));
        result
    }

    // ----- internals -----

    fn frames_with_op(&self, op: u64) -> Vec<Value> {
        let state = self.shared.state.borrow();
        state
            .gateway
            .frames
            .iter()
            .filter(|f| f.op == op)
            .map(|f| f.d.clone())
            .collect()
    }

    /// The live connections and the ops received so far, for errors.
    fn gateway_summary(&self) -> String {
        let live: Vec<String> = self
            .gateway_connections()
            .iter()
            .map(|c| {
                format!(
                    "#{} shard {}/{}{}",
                    c.connection,
                    c.shard,
                    c.total,
                    if c.ready { " ready" } else { "" }
                )
            })
            .collect();
        format!(
            "connections accepted: {}, live: [{}], ops so far: {:?}",
            self.connections(),
            live.join(", "),
            self.gateway_frames()
                .iter()
                .map(|f| f.op)
                .collect::<Vec<_>>()
        )
    }
}
