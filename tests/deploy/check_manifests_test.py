#!/usr/bin/python3
"""deploy/check-manifests refuses what it should: each case breaks one thing in the rendered
manifests (base/ and batch/) and expects exit status 1 and the message naming that thing.
The good renders themselves are checked by the deploy.render_* tests (tests/deploy.cmake).

Not here: the rendering (kubectl's kustomize), which those tests exercise.
usage: check_manifests_test.py KUBECTL REPO_ROOT
"""
import copy
import subprocess
import sys

import yaml


def render(kubectl, root, folder):
    out = subprocess.run([kubectl, "kustomize", f"{root}/deploy/k8s/{folder}"], check=True,
                         capture_output=True, text=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def check(root, objects):
    run = subprocess.run([f"{root}/deploy/check-manifests", "-"], input=yaml.safe_dump_all(objects),
                         capture_output=True, text=True)
    return run.returncode, run.stdout + run.stderr


def find(objects, kind):
    return next(o for o in objects if o["kind"] == kind)


def server(objects):
    return find(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]


def set_arg(container, flag, value):
    args = container["args"]
    args[args.index(flag) + 1] = value


def rename_arg(container, flag, new):
    args = container["args"]
    args[args.index(flag)] = new


def drop_arg(container, flag):
    args = container["args"]
    i = args.index(flag)
    del args[i:i + 2]


def set_env(container, name, value):
    next(e for e in container["env"] if e["name"] == name)["value"] = value


CASES = [
    # (name, folder, change, expected message)
    ("misspelt field", "base",
     lambda o: server(o).__setitem__("readinesProbe", server(o).pop("readinessProbe")),
     "readinesProbe: unknown field"),
    ("bad quantity", "base",
     lambda o: server(o)["resources"]["limits"].__setitem__("memory", "10GB"), "is not a Kubernetes quantity"),
    ("wrong type", "base",
     lambda o: find(o, "Deployment")["spec"].__setitem__("replicas", "two"), "expected integer"),
    ("unknown kind", "base",
     lambda o: find(o, "Deployment").__setitem__("apiVersion", "apps/v1beta1"), "unknown apiVersion/kind"),
    ("no containers", "base",
     lambda o: find(o, "Deployment")["spec"]["template"]["spec"].pop("containers"),
     "required field 'containers' is missing"),
    ("memory below model + KV", "base",
     lambda o: set_arg(server(o), "--kv-budget", "8Gi"), "is below model file"),
    ("threads above the CPU limit", "base",
     lambda o: set_arg(server(o), "--threads", "16"), "--threads 16 differs from the CPU limit"),
    ("no KV budget", "base", lambda o: drop_arg(server(o), "--kv-budget"), "no --kv-budget"),
    ("misspelt flag", "base", lambda o: rename_arg(server(o), "--max-waiting", "--max-wating"),
     "hearth serve has no option --max-wating"),
    ("loopback only", "base", lambda o: set_arg(server(o), "--host", "127.0.0.1"), "listens on 127.0.0.1"),
    ("probe on another port", "base",
     lambda o: server(o)["readinessProbe"]["httpGet"].__setitem__("port", 9090), "readinessProbe port 9090"),
    ("grace period under the drain", "base",
     lambda o: find(o, "Deployment")["spec"]["template"]["spec"].__setitem__("terminationGracePeriodSeconds", 60),
     "terminationGracePeriodSeconds 60 is not above"),
    ("service selects nothing", "base",
     lambda o: find(o, "Service")["spec"]["selector"].__setitem__("app.kubernetes.io/component", "server"),
     "selector matches no Deployment's pods"),
    ("service to a closed port", "base",
     lambda o: find(o, "Service")["spec"]["ports"][0].__setitem__("targetPort", "metrics"),
     "targetPort 'metrics' is no container port"),
    ("autoscaler aims elsewhere", "base",
     lambda o: find(o, "HorizontalPodAutoscaler")["spec"]["scaleTargetRef"].__setitem__("name", "hearth-server"),
     "scaleTargetRef Deployment/hearth-server is not among"),
    ("replicas beside an autoscaler", "base",
     lambda o: find(o, "Deployment")["spec"].__setitem__("replicas", 3), "sets spec.replicas while"),
    ("claim not rendered", "base",
     lambda o: find(o, "Deployment")["spec"]["template"]["spec"]["volumes"][0]["persistentVolumeClaim"]
     .__setitem__("claimName", "models"), "claims 'models'"),
    ("root filesystem writable", "base",
     lambda o: server(o)["securityContext"].__setitem__("readOnlyRootFilesystem", False),
     "readOnlyRootFilesystem is not true"),
    ("one output for all shards", "batch",
     lambda o: set_arg(find(o, "Job")["spec"]["template"]["spec"]["containers"][0], "--output", "/data/results.jsonl"),
     "is the same file for every shard"),
    ("shard count differs from completions", "batch",
     lambda o: set_env(find(o, "Job")["spec"]["template"]["spec"]["containers"][0], "JOB_COMPLETIONS", "3"),
     "is not spec.completions 4"),
]


def main():
    kubectl, root = sys.argv[1], sys.argv[2]
    renders = {folder: render(kubectl, root, folder) for folder in ("base", "batch")}
    failed = refused = 0
    for folder, objects in renders.items():
        rc, out = check(root, objects)
        if rc != 0:
            print(f"FAIL the unchanged {folder} render: exit {rc}\n{out}")
            failed += 1
    for name, folder, change, expected in CASES:
        objects = copy.deepcopy(renders[folder])
        change(objects)
        rc, out = check(root, objects)
        if rc == 1 and expected in out:
            print(f"ok   {name}")
            refused += 1
        else:
            print(f"FAIL {name}: expected exit 1 and {expected!r}, got exit {rc}:\n{out}")
            failed += 1
    print(f"{refused} of {len(CASES)} broken manifests refused")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
