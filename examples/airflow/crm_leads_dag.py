"""crm-leads from Airflow: one BashOperator per job, run at the DAG run's logical time.

Why it is shaped like this:
- `--at "{{ data_interval_end }}"` pins the run to the interval Airflow is processing, not to
  the wall clock. A retry, a "clear task" or a backfill re-runs the same (job, at), and the
  run ledger makes that idempotent: leads already delivered for that (job, at) are not sent
  again; only the ones that were not delivered are.
- The last line crm-leads prints on stdout is a JSON summary of the run; BashOperator pushes
  the last stdout line to XCom (do_xcom_push), so downstream tasks can read the counts.
- Exit codes: 0 ok (also zero leads), 1 the run failed (database down, table missing, lock
  held by another run), 2 invalid job or connections (no retry will fix it), 3 finished but
  some leads were not delivered (a CRM that refused part of a batch: retryable).
  BashOperator fails the task on any non-zero exit, so 1, 2 and 3 all fail it.
- Exit 2 must not burn retries: a `validate` task with retries=0 runs first and stops the DAG
  run on invalid input. Exit 3 (and 1) are what `retries` are for: the re-run with the same
  --at delivers only what is missing. If you would rather keep the DAG green on exit 3 and
  alert instead, add `skip_on_exit_code=3` (Airflow >= 2.6) to the run task: it is then marked
  skipped, and clearing it later re-runs the same --at, which delivers only the rest.

Install crm-leads where the workers run (e.g. `npm ci` in /opt/crm-leads) and set the
variables its connections.yaml reads (passwords come from the environment, never the DAG).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pendulum
from airflow import DAG
from airflow.decorators import task
from airflow.operators.bash import BashOperator

CRM_LEADS_HOME = "/opt/crm-leads"  # where `npm ci` installed crm-leads, jobs/ and connections.yaml
JOB = "jobs/fridge-deep-browse-not-paid.yaml"
CRM_LEADS = f"cd {CRM_LEADS_HOME} && npx --no-install crm-leads"

with DAG(
    dag_id="crm_leads_fridge_deep_browse",
    start_date=pendulum.datetime(2026, 11, 1, tz="Asia/Shanghai"),
    schedule="0 * * * *",  # hourly; each run covers [data_interval_start, data_interval_end)
    catchup=True,  # backfills every missed hour, each with its own --at
    max_active_runs=1,  # runs of one job take a lock anyway; no point queueing them in parallel
    default_args={"owner": "data-eng"},
    tags=["crm-leads"],
) as dag:
    validate = BashOperator(
        task_id="validate",
        bash_command=f"{CRM_LEADS} validate {JOB}",
        retries=0,  # exit 2 (invalid input) never heals on retry
    )

    run = BashOperator(
        task_id="run",
        # data_interval_end renders as "2026-11-23 10:00:00+00:00": quoted, it is one ISO
        # argument (with its offset, so the job's timezone cannot shift it).
        bash_command=f'{CRM_LEADS} run {JOB} --at "{{{{ data_interval_end }}}}" --log-format json',
        # The run ledger, e.g. a postgres:// URL shared by every worker (empty: .crm-leads/state.db).
        env={"CRM_LEADS_STATE": "{{ var.value.get('crm_leads_state', '') }}"},
        append_env=True,  # keep the worker's environment (PATH, the passwords connections.yaml reads)
        do_xcom_push=True,  # the last stdout line: the JSON summary
        retries=3,  # exit 3 (some leads not delivered) and exit 1 are retryable: same --at, only what is missing is sent
        retry_delay=timedelta(minutes=5),
        retry_exponential_backoff=True,
        execution_timeout=timedelta(hours=1),
    )

    @task
    def report(summary_line: str) -> dict:
        """Reads the run's JSON summary from XCom: counts for dashboards, a check for alerts."""
        summary = json.loads(summary_line)
        print(
            f"{summary['job']} at {summary['at']}: {summary['leads']} leads, "
            f"{summary['counts']['rows']} people matched, {summary.get('not_delivered', 0)} not delivered"
        )
        if summary["status"] not in ("ok", "dry_run"):
            raise ValueError(f"unexpected status {summary['status']}")
        return {"leads": summary["leads"], "run_id": summary["run_id"]}

    validate >> run >> report(run.output)
