//! What the integration tests share: fixtures built in code and the fake
//! Discord the bot tests run against.

pub mod bot;
pub mod fake_discord;
pub mod synthetic;
