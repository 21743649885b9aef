import type { UserFromGetMe } from "grammy/types";

/** A bot's getMe answer for tests and benches (no network call): the given fields over defaults. */
export function botInfo(
  fields: Pick<UserFromGetMe, "id" | "first_name" | "username"> & Partial<UserFromGetMe>,
): UserFromGetMe {
  return {
    is_bot: true,
    can_join_groups: false,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
    has_topics_enabled: false,
    allows_users_to_create_topics: false,
    can_manage_bots: false,
    supports_join_request_queries: false,
    ...fields,
  };
}
