// The part of a job that the Chinese output-name tests share (compile-dialect, field-names):
// a view_item trigger and lead fields named in Chinese, one of them a trigger field.

/** YAML lines `trigger:` … `lead:` / `fields:`; the caller adds more `lead` keys (two spaces in) after it. */
export const CHINESE_FIELDS = `trigger:
  table: events
  event: view_item
  within: 24h
lead:
  fields:
    姓名: name
    手机号: phone
    浏览时间: trigger.event_time`;
