/* Embeds the OpenAPI description in the binary as lw_openapi_json[]. */
	.section .rodata
	.global lw_openapi_json
	.global lw_openapi_json_end
	.balign 16
lw_openapi_json:
	.incbin OPENAPI_PATH
lw_openapi_json_end:
	.byte 0
	.section .note.GNU-stack,"",@progbits
