//! [`View`]s -> serenity's builders. Every message the bot sends gets
//! [`no_pings`]: whatever the FAQ or the question contains, nobody is
//! mentioned.

use serenity::all::{
    ButtonStyle, CreateActionRow, CreateAllowedMentions, CreateButton, CreateEmbed,
    CreateInteractionResponse, CreateInteractionResponseMessage, CreateMessage, CreateSelectMenu,
    CreateSelectMenuKind, CreateSelectMenuOption, EditInteractionResponse, ReactionType,
};

use super::view::{Row, View};

/// Allowed mentions that allow nothing: no @everyone, @here, roles, users,
/// and no ping of the author of a message the bot replies to.
pub fn no_pings() -> CreateAllowedMentions {
    CreateAllowedMentions::new()
        .everyone(false)
        .all_users(false)
        .all_roles(false)
        .replied_user(false)
}

fn embed(view: &View) -> Option<CreateEmbed> {
    view.embed.as_ref().map(|e| {
        CreateEmbed::new()
            .title(&e.title)
            .description(&e.description)
    })
}

fn rows(view: &View) -> Vec<CreateActionRow> {
    view.rows
        .iter()
        .map(|row| match row {
            Row::Buttons(buttons) => CreateActionRow::Buttons(
                buttons
                    .iter()
                    .map(|b| {
                        CreateButton::new(&b.custom_id)
                            .label(&b.label)
                            .style(ButtonStyle::Secondary)
                    })
                    .collect(),
            ),
            Row::Select(select) => CreateActionRow::SelectMenu(
                CreateSelectMenu::new(
                    &select.custom_id,
                    CreateSelectMenuKind::String {
                        options: select
                            .options
                            .iter()
                            .map(|o| {
                                let mut option = CreateSelectMenuOption::new(&o.label, &o.value);
                                if let Some(d) = &o.description {
                                    option = option.description(d);
                                }
                                if let Some(e) = &o.emoji {
                                    option = option.emoji(ReactionType::Unicode(e.clone()));
                                }
                                option
                            })
                            .collect(),
                    },
                )
                .placeholder(&select.placeholder),
            ),
        })
        .collect()
}

/// An interaction response (or an update of the message clicked).
pub fn response(view: &View) -> CreateInteractionResponseMessage {
    let mut msg = CreateInteractionResponseMessage::new()
        .allowed_mentions(no_pings())
        .ephemeral(view.ephemeral)
        .content(view.content.clone().unwrap_or_default())
        .components(rows(view));
    msg = match embed(view) {
        Some(e) => msg.embed(e),
        None => msg.embeds(Vec::new()),
    };
    msg
}

/// An edit of a deferred interaction response.
/// "Thinking…", privately: the response to an interaction whose answer
/// takes longer than Discord's 3 seconds (then edited in).
pub fn defer_private() -> CreateInteractionResponse {
    CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new().ephemeral(true))
}

pub fn edit(view: &View) -> EditInteractionResponse {
    let mut msg = EditInteractionResponse::new()
        .allowed_mentions(no_pings())
        .content(view.content.clone().unwrap_or_default())
        .components(rows(view));
    if let Some(e) = embed(view) {
        msg = msg.embed(e);
    }
    msg
}

/// A channel message (replies to mentions, DMs, help channels).
pub fn message(view: &View) -> CreateMessage {
    let mut msg = CreateMessage::new()
        .allowed_mentions(no_pings())
        .components(rows(view));
    if let Some(content) = &view.content {
        msg = msg.content(content);
    }
    if let Some(e) = embed(view) {
        msg = msg.embed(e);
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discord::view::{ButtonView, EmbedView};

    #[test]
    fn every_body_forbids_every_mention() {
        let view = View {
            content: Some("@everyone <@&1> <@2>".into()),
            embed: Some(EmbedView {
                title: "t".into(),
                description: "d".into(),
            }),
            rows: vec![Row::Buttons(vec![ButtonView {
                custom_id: "faq:answer:x".into(),
                label: "x".into(),
            }])],
            ephemeral: true,
            answers: None,
        };
        for body in [
            serde_json::to_value(response(&view)).expect("json"),
            serde_json::to_value(message(&view)).expect("json"),
            serde_json::to_value(edit(&view)).expect("json"),
        ] {
            let am = &body["allowed_mentions"];
            assert_eq!(am["parse"], serde_json::json!([]), "{body}");
            assert_eq!(am["users"], serde_json::json!([]), "{body}");
            assert_eq!(am["roles"], serde_json::json!([]), "{body}");
            assert_eq!(am["replied_user"], false, "{body}");
            assert_eq!(
                body["components"][0]["components"][0]["custom_id"],
                "faq:answer:x"
            );
        }
        let r = serde_json::to_value(response(&view)).expect("json");
        assert_eq!(r["flags"], 64, "ephemeral: {r}");
        assert_eq!(r["embeds"][0]["title"], "t");
    }
}
