/*
 * kvm - probe whether KVM is usable: /dev/kvm opens read-write,
 * KVM_GET_API_VERSION answers 12, and it is not served by kvm_pvm alone;
 * the reason is said in plain words. It only answers that question, once
 * at start-up (main.c): it keeps no fd open and chooses no accelerator
 * (tcg/ does).
 */
#ifndef LW_KVM_H
#define LW_KVM_H

#include <stdbool.h>

struct kvm_probe {
	bool available;
	char reason[160]; /* plain words: "/dev/kvm is absent (...)", "KVM is usable" */
};

/* kvm_probe - probe dev (normally "/dev/kvm") and fill out; never fails. */
void kvm_probe(const char *dev, struct kvm_probe *out);

#endif
