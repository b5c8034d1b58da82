# The bundled tiny model (models/tiny-qwen3-moe/) embedded into the models layer's library, so
# `hearth chat` works anywhere with no file beside the binary (bundled_model.S, .incbin).
target_sources(hearth_models PRIVATE ${CMAKE_CURRENT_LIST_DIR}/bundled_model.S)
set(_bundled ${CMAKE_CURRENT_LIST_DIR}/tiny-qwen3-moe)
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/bundled_model.S PROPERTIES
  INCLUDE_DIRECTORIES ${CMAKE_CURRENT_LIST_DIR}
  OBJECT_DEPENDS "${_bundled}/model.safetensors;${_bundled}/config.json;${_bundled}/tokenizer.json;${_bundled}/tokenizer_config.json;${_bundled}/generation_config.json")
