/* The bundled tiny-qwen3-moe checkpoint, linked into the binary so `hearth chat` runs with
   no files around. Each file becomes a symbol pair hearth_bundled_<name>_{begin,end}. */
    .section .rodata
    .balign 64
    .global hearth_bundled_config_begin, hearth_bundled_config_end
hearth_bundled_config_begin:
    .incbin "tiny-qwen3-moe/config.json"
hearth_bundled_config_end:
    .balign 64
    .global hearth_bundled_generation_config_begin, hearth_bundled_generation_config_end
hearth_bundled_generation_config_begin:
    .incbin "tiny-qwen3-moe/generation_config.json"
hearth_bundled_generation_config_end:
    .balign 64
    .global hearth_bundled_tokenizer_begin, hearth_bundled_tokenizer_end
hearth_bundled_tokenizer_begin:
    .incbin "tiny-qwen3-moe/tokenizer.json"
hearth_bundled_tokenizer_end:
    .balign 64
    .global hearth_bundled_tokenizer_config_begin, hearth_bundled_tokenizer_config_end
hearth_bundled_tokenizer_config_begin:
    .incbin "tiny-qwen3-moe/tokenizer_config.json"
hearth_bundled_tokenizer_config_end:
    .balign 64
    .global hearth_bundled_weights_begin, hearth_bundled_weights_end
hearth_bundled_weights_begin:
    .incbin "tiny-qwen3-moe/model.safetensors"
hearth_bundled_weights_end:
    .section .note.GNU-stack,"",@progbits
