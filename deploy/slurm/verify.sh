#!/bin/sh
# Verifies an election record on a Slurm cluster: a job array of N shards, one core each, then
# the merge once every shard has succeeded.
#
#   deploy/slurm/verify.sh RECORD PARTIALS [N] [AT_A_TIME]
#
# RECORD is `entente export`'s folder on a file system every node reads, or the board's URL
# (https://…) with the log's verifier key in ENTENTE_LOG_KEY: then each task reads the record
# from the board and fetches only its own shard's ballots (`--board URL --log KEY` in place
# of RECORD below). PARTIALS is a folder every node can write. Each array task runs exactly
# `entente verify RECORD --shard I/N --partial FILE` with I from SLURM_ARRAY_TASK_ID; the
# merge, `entente verify RECORD --merge FILE…`, waits for all of them (afterok) and writes its
# report to PARTIALS/report.txt (and .json, .html). `entente` must be on the nodes' PATH
# (with --ca FILE in ENTENTE_ARGS if the board's certificate needs it). Extra options for
# sbatch (a partition, an account) go in SBATCH_* variables, as sbatch reads them.
set -eu

if [ $# -lt 2 ]; then
    echo "usage: $0 RECORD|BOARD_URL PARTIALS [N (default 400)] [AT_A_TIME (default 100)]" >&2
    exit 2
fi
case "$1" in
    http://* | https://*)
        if [ -z "${ENTENTE_LOG_KEY:-}" ]; then
            echo "$0: reading the record from $1 needs the log's verifier key in ENTENTE_LOG_KEY" >&2
            exit 2
        fi
        record="${ENTENTE_ARGS:-} verify --board '$1' --log '$ENTENTE_LOG_KEY'"
        ;;
    *) record="${ENTENTE_ARGS:-} verify '$(realpath "$1")'" ;;
esac
partials=$(realpath -m "$2")
shards=${3:-400}
at_a_time=${4:-100}
mkdir -p "$partials"

shards_job=$(sbatch --parsable \
    --job-name=entente-verify-shards \
    --array="0-$((shards - 1))%${at_a_time}" \
    --cpus-per-task=1 --mem=1G \
    --output="$partials/shard-%a.log" \
    --wrap="exec entente $record --shard \"\$SLURM_ARRAY_TASK_ID/$shards\" \
--partial '$partials'/shard-\"\$SLURM_ARRAY_TASK_ID\"-of-$shards.jsonl --threads 1")

merge_job=$(sbatch --parsable \
    --job-name=entente-verify-merge \
    --dependency="afterok:$shards_job" \
    --cpus-per-task=2 --mem=4G \
    --output="$partials/report.txt" \
    --wrap="exec entente $record --merge '$partials'/shard-*-of-$shards.jsonl \
--json '$partials/report.json' --html '$partials/report.html'")

echo "shards: job $shards_job ($shards tasks, $at_a_time at a time); merge: job $merge_job"
echo "the report will be in $partials/report.txt (exit code in: sacct -j $merge_job)"
