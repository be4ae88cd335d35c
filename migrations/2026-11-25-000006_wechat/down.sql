DROP TABLE wechat_messages;
DROP TABLE wechat_access_tokens;
DROP TABLE wechat_binding_tickets;
