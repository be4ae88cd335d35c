//! Messages for clients: Chinese by default, English with `Accept-Language: en`.
//! Codes are stable; texts may be improved at any time.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// Picks the preferred of zh/en from an `Accept-Language` header (q-values honoured).
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(header) = header else { return Lang::Zh };
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or_default().trim().to_ascii_lowercase();
            let q = pieces.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
            let lang = if tag.starts_with("en") {
                Lang::En
            } else if tag.starts_with("zh") {
                Lang::Zh
            } else {
                continue;
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or_default()
    }

    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    fn pick(self, zh: &str, en: &str) -> String {
        match self {
            Lang::Zh => zh.to_owned(),
            Lang::En => en.to_owned(),
        }
    }
}

/// (title, detail) of a problem with this code.
pub fn problem_text(code: &str, status: u16, lang: Lang) -> (String, String) {
    let (zh, en) = match code {
        "malformed_json" => {
            ("请求体不是有效的 JSON，或字段类型不符。", "The request body is not valid JSON or has wrong types.")
        }
        "malformed_query" => ("查询参数无效。", "The query string is invalid."),
        "malformed_path" => ("路径参数无效。", "A path parameter is invalid."),
        "malformed_header" => ("请求头无效。", "A request header is invalid."),
        "malformed_upload" => ("上传的文件无法读取。", "The uploaded file cannot be read."),
        "missing_token" => ("需要登录：缺少访问令牌。", "Authentication required: no access token."),
        "invalid_token" => ("访问令牌无效或已过期。", "The access token is invalid or expired."),
        "invalid_credentials" => ("用户名或密码错误。", "Wrong username or password."),
        "invalid_refresh_token" => {
            ("刷新令牌无效、已过期或已被撤销。", "The refresh token is invalid, expired or revoked.")
        }
        "forbidden" => ("您的角色无权执行此操作。", "Your role does not allow this operation."),
        "not_found" => ("记录不存在，或不在您的管理范围内。", "The record does not exist or is outside your scope."),
        "route_not_found" => ("接口不存在。", "There is no such endpoint."),
        "method_not_allowed" => ("该接口不支持此 HTTP 方法。", "This endpoint does not support this HTTP method."),
        "stale_version" => {
            ("记录已被他人修改，请刷新后重试。", "The record was changed by someone else; reload and retry.")
        }
        "payload_too_large" => ("请求体过大。", "The request body is too large."),
        "body_timeout" => (
            "请求体未在限定时间内传完，连接已关闭。",
            "The request body did not arrive in time; the connection is closed.",
        ),
        "unsupported_media_type" => {
            ("不支持的内容类型，应为 {expected}。", "Unsupported content type; expected {expected}.")
        }
        "validation_failed" => ("请求中有字段未通过校验。", "Some fields failed validation."),
        "import_rejected" => ("导入文件有错误，未写入任何数据。", "The import file has errors; nothing was written."),
        "idempotency_key_reused" => {
            ("该幂等键已用于另一个请求。", "This Idempotency-Key was used for a different request.")
        }
        "idempotency_in_progress" => {
            ("使用该幂等键的请求仍在处理中。", "A request with this Idempotency-Key is still in progress.")
        }
        "constraint_violated" => ("数据不满足约束条件。", "The data violates a constraint."),
        "rate_limited" => ("尝试过于频繁，请稍后再试。", "Too many attempts; try again later."),
        "service_unavailable" => (
            "服务暂时不可用（数据库不可达），请稍后重试。",
            "Service temporarily unavailable (database unreachable); retry shortly.",
        ),
        "internal_error" => ("服务器内部错误，已记录。", "Internal server error; it has been logged."),
        "staff_no_taken" => ("工号已存在。", "This staff number already exists."),
        "id_card_taken" => ("身份证号已被其他会员使用。", "This ID-card number belongs to another member."),
        "username_taken" => ("用户名已存在。", "This username is taken."),
        "member_already_has_user" => ("该会员已关联账号。", "This member already has an account."),
        "role_already_granted" => ("该角色已授予。", "This role is already granted."),
        "unit_name_taken" => ("同一上级下已有同名组织。", "A unit with this name exists under the same parent."),
        "unit_code_taken" => ("组织代码已存在。", "This unit code is taken."),
        "unit_cycle" => {
            ("不能把组织移动到其自身或其下级之下。", "A unit cannot be moved under itself or its descendants.")
        }
        "root_unit_exists" => ("校工会（根组织）已存在。", "The school union (root unit) already exists."),
        "unit_kind_misplaced" => {
            ("该类型的组织不能放在此上级之下。", "A unit of this kind cannot be placed under that parent.")
        }
        "unit_has_children" => ("该组织下还有下级组织或会员。", "The unit still has children or members."),
        "honor_exists" => ("该会员同年已有此荣誉。", "The member already has this honor for that year."),
        "dues_already_recorded" => ("该月会费已登记。", "Dues for this month are already recorded."),
        "member_not_active" => ("会员不是在会状态。", "The member is not active."),
        "member_not_left" => ("会员未离会，不能重新入会。", "The member has not left; cannot rejoin."),
        "same_unit" => ("会员已在该组织。", "The member is already in that unit."),
        "referenced_record_missing" => ("引用的记录不存在。", "A referenced record does not exist."),
        "concurrent_update" => ("并发冲突，请重试。", "Concurrent update; retry."),
        "duplicate" => ("记录已存在。", "The record already exists."),
        "cannot_change_own_account" => ("不能停用或删除自己的账号。", "You cannot disable or delete your own account."),
        "invalid_client" => ("客户端凭据无效。", "Invalid client credentials."),
        "client_revoked" => ("该客户端已被吊销。", "This API client is revoked."),
        "user_disabled" => ("账号已停用。", "The account is disabled."),
        "wechat_not_configured" => ("未配置微信小程序。", "The WeChat mini-program is not configured."),
        "wechat_code_invalid" => {
            ("微信登录凭证（code）无效，请重新登录。", "The WeChat code is invalid; log in again.")
        }
        "wechat_code_used" => {
            ("微信登录凭证（code）已被使用，请重新获取。", "The WeChat code was already used; get a new one.")
        }
        "wechat_busy" => ("微信服务繁忙，请稍后重试。", "WeChat is busy; retry shortly."),
        "wechat_unavailable" => ("微信服务暂时不可用，请稍后重试。", "WeChat is unavailable; retry shortly."),
        "wechat_user_blocked" => ("该微信用户已被微信限制登录。", "This WeChat user is blocked by WeChat."),
        "binding_ticket_invalid" => {
            ("绑定凭证无效或已过期，请重新登录小程序。", "The binding ticket is invalid or expired; log in again.")
        }
        "binding_ticket_used" => ("绑定凭证已使用过。", "The binding ticket was already used."),
        "binding_proof_failed" => ("身份核验未通过，无法绑定。", "Identity check failed; cannot bind."),
        "bind_by_identity_disabled" => {
            ("未开放工号+姓名+身份证后六位绑定。", "Binding by staff number, name and ID card is not enabled.")
        }
        "wechat_already_bound" => ("该微信已绑定其他会员。", "This WeChat account is already bound to a member."),
        "member_already_bound" => ("该会员已绑定其他微信。", "This member is already bound to another WeChat account."),
        "account_disabled" => ("该会员的账号已停用或删除。", "The member's account is disabled or deleted."),
        "invalid_cas_ticket" => (
            "统一身份认证票据无效、已使用、已过期，或不属于此服务。",
            "The CAS ticket is invalid, used, expired, or issued for another service.",
        ),
        "cas_unavailable" => (
            "统一身份认证服务暂时不可用，请稍后重试。",
            "The university's identity server (CAS) is unavailable; retry shortly.",
        ),
        "cas_not_configured" => ("未配置统一身份认证（CAS）。", "CAS single sign-on is not configured."),
        "cas_user_unknown" => {
            ("统一身份认证账号未对应到任何会员。", "The CAS account does not match any member of the union.")
        }
        "delivery_in_progress" => (
            "该投递仍在进行中，完成后才能重新投递。",
            "The delivery is still pending; redeliver it once it has finished.",
        ),
        "webhook_inactive" => ("该 Webhook 订阅已停用。", "This webhook subscription is inactive."),
        // democracy: shared
        "not_a_delegate" => ("您不是本次大会的代表。", "You are not a delegate of this congress."),
        "not_a_formal_delegate" => (
            "只有正式代表可以表决、提案或附议，列席代表不能。",
            "Only formal delegates vote, propose and co-sign; observers do not.",
        ),
        "invalid_transition" => ("当前状态下不能执行该操作。", "This action is not allowed in the current state."),
        "congress_exists" => ("该届次的大会已存在。", "A congress with this term and session already exists."),
        "proposal_prefix_taken" => {
            ("提案编号前缀已被其他大会使用。", "Another congress uses this proposal number prefix.")
        }
        "congress_closed" => ("大会已闭幕，不能再修改。", "The congress is closed; it cannot be changed."),
        "already_delegate" => ("该会员已是本次大会的代表。", "This member is already a delegate of this congress."),
        "already_voted" => ("您已对该事项投票，不能重复投票。", "You have already voted on this motion."),
        "already_evaluated" => {
            ("您已提交过该测评的评议表。", "You have already submitted a sheet for this evaluation.")
        }
        "department_name_taken" => ("部门名称已存在。", "A department with this name already exists."),
        "department_code_taken" => ("部门代码已存在。", "A department with this code already exists."),
        "already_handler" => ("该账号已是该部门的承办人。", "This account already handles for this department."),
        "already_invited" => ("该代表已被邀请附议。", "This delegate has already been invited to co-sign."),
        "already_converted" => ("该提案已转为意见建议。", "This proposal has already been converted to a suggestion."),
        "target_name_taken" => ("测评对象名称重复。", "Two evaluation targets have the same name."),
        "criterion_name_taken" => ("评分项名称重复。", "Two criteria have the same name."),
        "congress_rules_frozen" => (
            "大会已开幕，规则（提案截止日期、编号前缀、附议人数、期限、法定人数、表决基数）不能再修改。",
            "The congress is in session; its rules (deadline, prefix, co-signers, windows, quorum, majority) are frozen.",
        ),
        "congress_not_preparing" => (
            "大会已开幕，代表名单不能再调整或删除。",
            "The congress has opened; delegates can no longer be changed or removed.",
        ),
        "congress_not_in_session" => {
            ("大会不在会期中，不能签到或表决。", "The congress is not in session: no check-ins and no voting.")
        }
        "delegate_in_use" => (
            "该代表已有表决、提案、附议或测评记录，不能删除。",
            "This delegate has ballots, proposals, co-signatures or evaluation sheets; cannot remove.",
        ),
        // democracy: congresses and delegates (insert above this line)
        "voting_not_open" => ("该事项未在表决中。", "Voting on this motion is not open."),
        "not_checked_in" => {
            ("您未在本次全体会议签到，不能表决。", "You are not checked in at this sitting, so you cannot vote.")
        }
        "motion_not_draft" => {
            ("表决已开始，事项不能再修改。", "Voting has opened; the motion can no longer be changed.")
        }
        // democracy: motions (insert above this line)
        "member_profile_required" => (
            "需要会员身份：请先绑定会员，或由管理员代为登记。",
            "A member profile is required: bind your account to a member, or ask an administrator to record it.",
        ),
        "campaign_incomplete" => (
            "测评至少需要一个对象和一个评分项才能开始。",
            "A campaign needs at least one target and one criterion to open.",
        ),
        "campaign_not_draft" => ("测评已开始，不能再修改。", "The campaign has opened; it can no longer be changed."),
        "campaign_not_open" => ("测评未在进行中，不能提交评议表。", "The campaign is not open for sheets."),
        "results_not_published" => ("测评结束后才公布结果。", "Results are published when the campaign closes."),
        // democracy: departments, suggestions, evaluations (insert above this line)
        "not_proposer" => ("只有提案人可以执行此操作。", "Only the proposer may do this."),
        "not_invited" => ("您未被邀请附议该提案。", "You were not invited to co-sign this proposal."),
        "not_lead_handler" => {
            ("只有主办部门的承办人可以执行此操作。", "Only a handler of the lead department may do this.")
        }
        "proposal_locked" => (
            "提案已提交，附议人和内容不能再这样修改。",
            "The proposal has been submitted; its co-signers and text can no longer be changed this way.",
        ),
        "already_answered" => ("您已答复过该附议邀请。", "You have already answered this co-sign invitation."),
        "extension_already_requested" => ("已有一项延期申请待审批。", "An extension request is already pending."),
        "no_extension_requested" => ("没有待审批的延期申请。", "There is no pending extension request."),
        "reopen_requires_unsatisfied" => (
            "只有提案人对答复“不满意”时才能重新办理。",
            "A proposal is reopened only after the proposer was unsatisfied with the reply.",
        ),
        "rehandle_used" => ("该提案已重新办理过一次。", "The proposal has already been re-handled once."),
        "feedback_window_open" => (
            "提案人仍可在反馈期内评价答复，期满后才能办结。",
            "The proposer may still give feedback; close the proposal after the feedback window.",
        ),
        "too_few_cosigners" => ("附议人数不足。", "Too few co-signers."),
        // democracy: proposals (insert above this line)
        _ => ("请求无法完成。", "The request cannot be completed."),
    };
    (lang.pick(status_title_zh(status), status_title_en(status)), lang.pick(zh, en))
}

fn status_title_zh(status: u16) -> &'static str {
    match status {
        400 => "请求格式错误",
        401 => "未认证",
        403 => "无权限",
        404 => "未找到",
        405 => "方法不允许",
        409 => "状态冲突",
        412 => "版本已过期",
        413 => "请求体过大",
        415 => "内容类型不支持",
        422 => "请求数据无效",
        429 => "请求过于频繁",
        503 => "服务不可用",
        _ => "服务器错误",
    }
}

fn status_title_en(status: u16) -> &'static str {
    match status {
        400 => "Bad request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not found",
        405 => "Method not allowed",
        409 => "Conflict",
        412 => "Precondition failed",
        413 => "Payload too large",
        415 => "Unsupported media type",
        422 => "Unprocessable content",
        429 => "Too many requests",
        503 => "Service unavailable",
        _ => "Internal server error",
    }
}

/// Message of a field error; `{name}` placeholders are filled from `params`.
pub fn field_message(code: &str, params: &[(String, String)], lang: Lang) -> String {
    let (zh, en) = match code {
        "required" => ("必填", "is required"),
        "length" => ("长度应在 {min} 到 {max} 个字符之间", "must be {min} to {max} characters long"),
        "range" => ("取值应在 {min} 到 {max} 之间", "must be between {min} and {max}"),
        "control_characters" => ("不能包含控制字符", "must not contain control characters"),
        "invalid_format" => ("格式不正确", "has an invalid format"),
        "invalid_date" => ("日期无效，应为 YYYY-MM-DD", "is not a valid date (YYYY-MM-DD)"),
        "invalid_month" => ("月份无效，应为 YYYY-MM", "is not a valid month (YYYY-MM)"),
        "invalid_choice" => ("取值无效，可选：{choices}", "must be one of: {choices}"),
        "unknown_field" => ("未知字段", "is not a known field"),
        "invalid_type" => ("类型不正确", "has the wrong type"),
        "invalid_id_card" => ("身份证号格式或校验位错误", "is not a valid ID-card number (format or check digit)"),
        "id_card_birth_mismatch" => ("身份证号中的出生日期与出生日期不符", "does not match the birth date"),
        "id_card_gender_mismatch" => ("身份证号中的性别与性别不符", "does not match the gender"),
        "invalid_phone" => ("手机号应为 11 位中国大陆手机号", "must be an 11-digit mainland mobile number"),
        "unknown_unit" => ("组织不存在：{value}", "unknown unit: {value}"),
        "ambiguous_unit" => {
            ("有多个组织名为 {value}，请填写组织代码", "several units are named {value}; use the unit code")
        }
        "unknown_member" => ("会员不存在：{value}", "unknown member: {value}"),
        "duplicate_in_file" => ("与第 {other_row} 行重复", "duplicates row {other_row}"),
        "staff_no_taken" => ("工号已存在", "this staff number already exists"),
        "id_card_taken" => ("身份证号已被其他会员使用", "belongs to another member"),
        "date_in_future" => ("不能晚于今天", "must not be in the future"),
        "date_order" => ("不能早于 {other}", "must not be before {other}"),
        "unknown_sort" => ("不支持的排序字段，可选：{choices}", "is not sortable; use one of: {choices}"),
        "missing_column" => ("缺少列：{value}", "missing column: {value}"),
        "too_many_rows" => ("行数超过上限 {max}", "more than {max} rows"),
        "empty_file" => ("文件没有数据行", "the file has no data rows"),
        "requires" => ("需要同时设置 {other}=true", "requires {other}=true"),
        "invalid_scope" => ("客户端未持有该权限范围：{value}", "is not a scope this client holds: {value}"),
        "unsupported_grant_type" => ("仅支持 client_credentials", "only client_credentials is supported"),
        "exactly_one_proof" => (
            "请只提供一种身份证明：CAS、手机号或工号+姓名+身份证后六位",
            "give exactly one proof: cas, phone_code, or staff_no + name + id_card_last6",
        ),
        "weak_password" => {
            ("密码至少 12 位，且包含字母和数字", "must be at least 12 characters with letters and digits")
        }
        "invalid_unit_for_role" => ("该角色{rule}", "this role {rule_en}"),
        "service_not_allowed" => {
            ("该服务地址不在统一身份认证允许列表中", "is not a service allowed to log in through CAS")
        }
        "invalid_ticket" => ("票据格式应为 ST-…", "must be a CAS service ticket (ST-…)"),
        "invalid_url" => ("不是有效的 URL", "is not a valid URL"),
        "url_scheme" => ("仅支持 http 或 https 地址", "must be an http or https URL"),
        "url_userinfo" => ("地址中不能包含用户名或密码", "must not contain a user name or password"),
        "url_host_not_allowed" => ("该主机不在 Webhook 允许列表中", "is not on the webhook host allow-list"),
        "url_forbidden_address" => (
            "地址指向内网、本机、链路本地或云元数据地址",
            "points to a private, loopback, link-local or metadata address",
        ),
        "url_unresolvable" => ("主机名无法解析", "has a host name that does not resolve"),
        "level_unit_mismatch" => (
            "级别与组织不符：学校级大会由校工会召开，二级大会由二级工会召开（该组织为{kind}）",
            "does not match the unit: school level is held by the school union, unit level by a secondary union",
        ),
        "not_above" => ("不能大于 {other}", "must not be greater than {other}"),
        "outside_congress" => ("代表团不在本次大会的组织范围内", "lies outside the unit holding the congress"),
        "one_of" => ("请只提供以下之一：{choices}", "give exactly one of: {choices}"),
        // democracy: congresses and delegates (insert above this line)
        // democracy: motions (insert above this line)
        "not_a_handler" => ("该账号不存在或没有承办人（handler）角色", "is not an account holding the role handler"),
        "unknown_department" => ("部门不存在：{value}", "unknown department: {value}"),
        "department_inactive" => ("部门已停用：{value}", "the department is inactive: {value}"),
        "unknown_congress" => ("大会不存在：{value}", "unknown congress: {value}"),
        "not_own_member" => ("只能以本人名义提出", "must be your own member id"),
        "duplicate" => ("与前面的名称重复", "repeats an earlier name"),
        "unknown_target" => ("测评对象不属于该测评：{value}", "is not a target of this campaign: {value}"),
        "unknown_criterion" => ("评分项不属于该测评：{value}", "is not a criterion of this campaign: {value}"),
        "duplicate_score" => ("同一对象的同一评分项重复评分", "scores the same target and criterion twice"),
        "incomplete_sheet" => {
            ("评议表不完整，还缺 {missing} 项评分", "the sheet is incomplete: {missing} scores missing")
        }
        // democracy: departments, suggestions, evaluations (insert above this line)
        "too_few_cosigners" => ("附议人至少需要 {min} 名", "needs at least {min} co-signers"),
        // democracy: proposals (insert above this line)
        _ => ("取值无效", "is invalid"),
    };
    let mut text = lang.pick(zh, en);
    for (name, value) in params {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language() {
        assert_eq!(Lang::from_accept_language(None), Lang::Zh);
        assert_eq!(Lang::from_accept_language(Some("en")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("zh-CN,zh;q=0.9,en;q=0.8")), Lang::Zh);
        assert_eq!(Lang::from_accept_language(Some("fr, en;q=0.5")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("zh;q=0.2, en;q=0.5")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("de")), Lang::Zh);
    }

    #[test]
    fn params_are_filled() {
        let p = vec![("min".to_owned(), "1".to_owned()), ("max".to_owned(), "50".to_owned())];
        assert_eq!(field_message("length", &p, Lang::En), "must be 1 to 50 characters long");
        assert_eq!(field_message("length", &p, Lang::Zh), "长度应在 1 到 50 个字符之间");
    }
}
