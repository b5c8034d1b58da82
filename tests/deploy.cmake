# The Kubernetes manifests (deploy/k8s): each kustomization rendered by kubectl's built-in
# kustomize and checked offline by deploy/check-manifests (schemas vendored in
# deploy/k8s-schema.json, plus the cross-object checks: selectors, ports, probes, sizing, shards);
# and the checker shown to refuse broken manifests. No cluster and no network: kubectl only
# renders. .ci/setup installs kubectl (Debian's kubernetes-client) when none is installed.
find_program(HEARTH_KUBECTL kubectl)
set(_deploy_dirs base batch overlays/laptop overlays/xeon)
if(NOT HEARTH_KUBECTL)
  add_test(NAME deploy.kubectl_missing
    COMMAND ${CMAKE_COMMAND} -E echo "kubectl not found: .ci/setup installs it (Debian package kubernetes-client)")
  set_tests_properties(deploy.kubectl_missing PROPERTIES WILL_FAIL TRUE)
  return()
endif()
foreach(_dir ${_deploy_dirs})
  string(REPLACE "/" "_" _name ${_dir})
  add_test(NAME deploy.render_${_name}
    COMMAND bash -o pipefail -c
            "'${HEARTH_KUBECTL}' kustomize '${PROJECT_SOURCE_DIR}/deploy/k8s/${_dir}' | '${HEARTH_REFERENCE_PYTHON}' '${PROJECT_SOURCE_DIR}/deploy/check-manifests' -")
endforeach()
add_test(NAME deploy.check_refuses_broken
  COMMAND ${HEARTH_REFERENCE_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/deploy/check_manifests_test.py
          ${HEARTH_KUBECTL} ${PROJECT_SOURCE_DIR})
