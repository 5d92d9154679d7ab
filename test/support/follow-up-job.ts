// The second-touch job of issue 13's proof, shared by the expected-SQL test
// (test/unit/sql-follow-up.test.ts) and the end-to-end run (test/integration/follow-up-leads.test.ts):
// people the push job `cart-push` delivered on app_push in the last 3 days, who clicked the push
// (responded) or did not (not_responded) within 2 days of it.

/** The job's YAML: `rule` is `responded` or `not_responded`; timezone Asia/Shanghai, source `wh`. */
export const followUpJobText = (name: string, rule: 'responded' | 'not_responded') => `name: ${name}
source: wh
timezone: Asia/Shanghai
audience:
  table: dim_user
  follow_up:
    job: cart-push
    within: 3d
    channel: app_push
    ${rule}: { table: events, event: click_push, within: 2d, where: { campaign: cart } }
lead: { fields: [user_id, phone, follow_up.delivered_at, follow_up.channel] }
`;
