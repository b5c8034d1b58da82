# Transparency tools against the PyTorch reference (included by tests/CMakeLists.txt): attention
# probabilities of `hearth attention` and expert-routing counts of `hearth profile` on the tiny trained
# checkpoints (DeepSeek-V3 with MLA in its absorbed and plain forms). The DeepSeek-V3 cases exit 77 (ctest
# "Skipped", with the reason in the log) while hearth cannot load that architecture. Labels: viz, reference.
set(_viz_python ${HEARTH_REFERENCE_PYTHON})
if(NOT _viz_python)
  set(_viz_python /usr/bin/python3)
endif()
set(_viz_ref ${PROJECT_SOURCE_DIR}/tests/reference)

function(hearth_viz_test name)
  add_test(NAME ${name} COMMAND ${_viz_python} ${ARGN})
  set_tests_properties(${name} PROPERTIES LABELS "viz;reference" ENVIRONMENT "OPENBLAS_NUM_THREADS=1"
                       TIMEOUT 120 SKIP_RETURN_CODE 77)
endfunction()

foreach(_model tiny-qwen3-moe tiny-deepseek-v3)
  if(_model STREQUAL "tiny-qwen3-moe")
    set(_dir ${PROJECT_SOURCE_DIR}/models/tiny-qwen3-moe)
  else()
    set(_dir ${PROJECT_SOURCE_DIR}/tests/data/models/tiny-deepseek-v3)
  endif()
  string(REPLACE "-" "_" _id ${_model})
  hearth_viz_test(viz.attention_probs.${_id} ${_viz_ref}/attention_probs.py
    --model ${_dir} --hearth $<TARGET_FILE:hearth>)
  hearth_viz_test(viz.routing_counts.${_id} ${_viz_ref}/routing_counts.py
    --model ${_dir} --hearth $<TARGET_FILE:hearth> --text ${PROJECT_SOURCE_DIR}/tests/data/corpus/valid.txt
    --tokens 160 --ctx 64)
endforeach()
# MLA captures "attn_probs" in both forms; the default run above uses the absorbed one.
hearth_viz_test(viz.attention_probs.tiny_deepseek_v3_plain_mla ${_viz_ref}/attention_probs.py
  --model ${PROJECT_SOURCE_DIR}/tests/data/models/tiny-deepseek-v3 --hearth $<TARGET_FILE:hearth>
  --hearth-arg=--mla=plain)
