# SPDX-License-Identifier: Apache-2.0
# Shared helpers of the consumer tests (sourced; bash).
# TAP helpers, result and expect come from tests/lib/tap.sh.

source "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/containers.sh"

# The operations the probe performs in every container run, and what the
# consumer policy (policy.yaml) must do to each of them.
probe_ops=(getpid chmod-rw unix chmod-x unshare-userns alg)
declare -A confined_want=(
	[getpid]=ok [chmod-rw]=ok [unix]=ok
	[chmod-x]=EPERM [unshare-userns]=EPERM [alg]=EPERM
)

# compile_profile POLICY OUT: plastron's seccomp profile, or a failed case.
compile_profile() {
	local policy=$1 out=$2
	if "$PLASTRON" compile "$policy" --enforcer seccomp -o "$out" 2>"$out.err"; then
		ok "plastron compile --enforcer seccomp $(basename "$policy")"
	else
		not_ok "plastron compile --enforcer seccomp $(basename "$policy")"
		diag "$out.err"
		return 1
	fi
	if jq -e '(.defaultAction | type == "string") and (.syscalls | type == "array")' \
		"$out" >/dev/null 2>&1; then
		ok "the profile is OCI seccomp JSON (defaultAction, syscalls)"
	else
		not_ok "the profile is OCI seccomp JSON (defaultAction, syscalls)"
		return 1
	fi
}

# check_baseline LABEL FILE: without the profile, the actions plastron must
# deny are possible here (otherwise the confined run would prove nothing).
check_baseline() {
	local label=$1 file=$2 a got
	for a in "${probe_ops[@]}"; do
		[[ ${confined_want[$a]} == ok ]] && continue
		got=$(result "$file" "$a")
		if [[ -n $got && $got != EPERM ]]; then
			ok "$label: without the profile $a is not EPERM ($got)"
		else
			not_ok "$label: without the profile $a is not EPERM (got '${got:-nothing}')"
			diag "$file"
		fi
	done
}

check_confined() {
	local label=$1 file=$2 a
	for a in "${probe_ops[@]}"; do
		expect "$label" "$file" "$a" "${confined_want[$a]}"
	done
}
