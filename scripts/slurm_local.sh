#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for as long as a command runs: munged, slurmctld and slurmd (Debian's
# munge and slurm-wlm) with their keys, config, state and logs in a temporary folder, this host as the only node
# (every core, one partition "local"), ports found free. The command runs with SLURM_CONF set, so sbatch, squeue and
# sinfo talk to this cluster; the daemons are stopped and the folder removed when it ends, however it ends.
#   scripts/slurm_local.sh COMMAND [ARGS…]      e.g. scripts/slurm_local.sh nativemtl sweep --config s.yaml --slurm
# Needs root (slurmd runs jobs as their user) and: apt-get install slurm-wlm munge
set -euo pipefail
[[ $# -gt 0 ]] || { echo "usage: $0 COMMAND [ARGS…]" >&2; exit 2; }
for tool in munged mungekey slurmctld slurmd sbatch sinfo; do
  command -v "$tool" > /dev/null || { echo "slurm_local: $tool not found (apt-get install slurm-wlm munge)" >&2; exit 2; }
done

root=$(mktemp -d /tmp/slurm-local.XXXXXX)
chmod 755 "$root"
stop() {
  for pid in "$root"/slurmd.pid "$root"/slurmctld.pid "$root"/munged.pid; do
    [[ -f $pid ]] && kill "$(cat "$pid")" 2> /dev/null || true
  done
  sleep 1
  rm -rf "$root"
}
trap stop EXIT

# A port nothing listens on (a connection to it is refused).
free_port() {
  local port
  while port=$((20000 + RANDOM % 40000)); (echo > "/dev/tcp/127.0.0.1/$port") 2> /dev/null; do :; done
  echo "$port"
}
mkdir -p "$root/munge" "$root/state" "$root/spool"
chmod 700 "$root/munge"
mungekey --create --keyfile "$root/munge/munge.key" --force
munged --force --socket "$root/munge/munge.socket" --key-file "$root/munge/munge.key" --pid-file "$root/munged.pid" \
  --log-file "$root/munged.log" --seed-file "$root/munge/munge.seed"

host=$(hostname -s)
cat > "$root/slurm.conf" << EOF
ClusterName=local
SlurmctldHost=$host
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$root/munge/munge.socket
StateSaveLocation=$root/state
SlurmdSpoolDir=$root/spool
SlurmctldPidFile=$root/slurmctld.pid
SlurmdPidFile=$root/slurmd.pid
SlurmctldLogFile=$root/slurmctld.log
SlurmdLogFile=$root/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$root/slurm.conf
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 60); do
  if sinfo -h -o %T 2> /dev/null | grep -qx idle; then break; fi
  sleep 0.5
done
if ! sinfo -h -o %T 2> /dev/null | grep -qx idle; then
  echo "slurm_local: the node did not come up; the daemons' logs:" >&2
  tail -n 20 "$root"/slurmctld.log "$root"/slurmd.log >&2 || true
  exit 1
fi
"$@"
