// What `crm-leads init` writes: a connections file and one commented job that validate as
// they are (every variable has a default), so `crm-leads validate` passes before any editing.

export const CONNECTIONS_TEMPLATE = `# crm-leads connections: a name -> how to reach one database.
# \${VAR} reads an environment variable and \${VAR:-default} gives it a default: keep passwords
# in the environment, never in this file. Passwords and URLs never appear in logs or errors.
# Check them with: crm-leads connections check

warehouse:
  type: mysql                         # mysql | mariadb | postgres | sqlite | hive | oracle
  host: \${DW_HOST:-127.0.0.1}
  port: \${DW_PORT:-3306}
  user: \${DW_USER:-crm_leads}
  password: \${DW_PASSWORD:-}
  database: \${DW_DATABASE:-dw}

# Other engines, for reference:
# crm_db:   { type: postgres, url: \${CRM_DB_URL} }          # postgres://user:password@host:5432/crm
# local:    { type: sqlite, path: warehouse.db }              # relative to this file
# hive:     { type: hive, host: \${HIVE_HOST}, port: 10000, database: dw, auth: plain, user: \${HIVE_USER}, password: \${HIVE_PASSWORD} }
# oracle:   { type: oracle, connect_string: \${ORACLE_CONNECT}, user: \${ORACLE_USER}, password: \${ORACLE_PASSWORD} }
`;

export const JOB_TEMPLATE = `# A lead list: who (audience), whom to leave out (exclude), what to hand over (lead) and where
# (destinations). Try it without writing anything:
#   crm-leads validate jobs/first-leads.yaml      # checks this file and connections.yaml
#   crm-leads compile jobs/first-leads.yaml       # the SQL it will run
#   crm-leads run jobs/first-leads.yaml --dry-run # how many people each rule keeps
name: first-leads                     # lower-case letters, digits, _ and -
description: High-value customers in the big cities who did not buy in the last 30 days
source: warehouse                     # a connection name from connections.yaml
timezone: Asia/Shanghai               # the warehouse's naive times are in this zone
# schedule: "0 9 * * 1-5"             # for \`crm-leads schedule\`: cron, 5 or 6 fields, in timezone

audience:                             # one row per person
  table: dim_user
  key: user_id
  where:                              # AND-ed; a list means IN, a map holds operators
    age: { between: [25, 45] }
    city: [北京, 上海, 深圳]
  # segments: { table: user_segment, value_tier: [high, top] }   # long table: key, dimension, segment
  # tags: { table: user_tag, all: [购买力强], none: [投诉用户] }   # long table: key, tag

# trigger:                            # a behaviour that makes someone a lead now
#   table: events
#   event: view_item
#   within: 24h
#   not_followed_by: { event: pay_order, within: 30m }

exclude:
  converted:                          # bought in [at - 30d, at)
    table: orders
    time: paid_at
    within: 30d
  # delivered: 7d                     # not handed over by this job in the last 7 days

lead:
  fields: [user_id, name, phone, city]
  require: [phone]                    # no phone: counted as unreachable, not written
  order_by: { income: desc }
  limit: 1000

destinations:
  - type: csv
    path: out/{{job}}/{{date}}.csv    # {{job}} {{date}} {{run_id}}
    bom: true                         # so Excel shows Chinese text correctly
  # - type: webhook
  #   url: \${CRM_WEBHOOK_URL}
  #   secret: \${CRM_WEBHOOK_SECRET}    # HMAC-SHA256 signature on every request
`;
