#!/bin/sh
# Runs one crm-leads job from cron: safe to start while the previous run is still going, logs
# to a file per job, and pins --at to the scheduled slot so that a late start or a manual
# re-run processes the same (job, at), which the run ledger makes idempotent.
#
#   crm-leads-cron.sh JOB_FILE SLOT_FORMAT [extra crm-leads run options]
#
# SLOT_FORMAT is a date(1) format for the slot this run covers, e.g. %Y-%m-%dT%H:00:00%z for an
# hourly job: a run started at 10:00:07 (or re-run at 10:40) is the run "at 10:00". Keep the
# %z: with its offset, the slot means the same instant whatever the job's timezone.
set -u

JOB=$1
SLOT_FORMAT=$2
shift 2

CRM_LEADS_HOME=${CRM_LEADS_HOME:-/opt/crm-leads}
LOG_DIR=${CRM_LEADS_LOG_DIR:-/var/log/crm-leads}
NAME=$(basename "$JOB" .yaml)
AT=$(date "+$SLOT_FORMAT")

mkdir -p "$LOG_DIR"
cd "$CRM_LEADS_HOME" || exit 1

# flock -n: if the previous run of this job still holds the lock, this one exits at once
# (code 75, EX_TEMPFAIL) instead of piling up behind it. crm-leads also refuses a second run
# of the same job (exit 1) via its ledger lock, which also holds across machines; flock just
# keeps cron from starting a Node process for nothing.
flock -n -E 75 "$LOG_DIR/$NAME.lock" \
  npx --no-install crm-leads run "$JOB" --at "$AT" --log-format json "$@" \
  >>"$LOG_DIR/$NAME.summary.jsonl" 2>>"$LOG_DIR/$NAME.log"
code=$?

# One line per run in the log, whatever happened: when, which slot, how it ended.
case $code in
  0) outcome="ok" ;;
  1) outcome="failed (see $NAME.log)" ;;
  2) outcome="invalid job or connections: fix the files, retrying will not help" ;;
  3) outcome="some leads not delivered: run again with --at $AT to deliver only those" ;;
  75) outcome="skipped: the previous run is still running" ;;
  *) outcome="exit $code" ;;
esac
printf '%s crm-leads %s at %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$NAME" "$AT" "$outcome" >>"$LOG_DIR/$NAME.log"
exit $code
