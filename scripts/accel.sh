# Sourced by scripts/lab/lab and scripts/xenlab/xenlab: prints kvm when QEMU's KVM accelerator
# can run the distribution kernels the labs boot, tcg otherwise.
#
# /dev/kvm can exist and open yet not run such a guest:
# - in nested setups whose vCPUs never run: a 512-byte boot sector writes to QEMU's
#   isa-debug-exit port, and exit status 85 means a vCPU really executed code;
# - when the only KVM backend is kvm_pvm (a paravirtual backend, no VT-x/AMD-V): it runs
#   real-mode code, so the boot sector passes, but only PVM-enabled guest kernels boot; a
#   distribution kernel hangs at its switch to long mode ("kvm-pvm: INTERNAL_ERROR" in the host's
#   log) and its serial console stays empty. KVM counts only with a hardware backend loaded.
probe_accel() {
	local img rc
	if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		echo tcg
		return
	fi
	if [ ! -d /sys/module/kvm_intel ] && [ ! -d /sys/module/kvm_amd ]; then
		echo tcg
		return
	fi
	img=$(mktemp)
	printf '\xb0\x2a\xe6\xf4\xf4\xeb\xfd' >"$img"
	truncate -s 510 "$img"
	printf '\x55\xaa' >>"$img"
	rc=0
	timeout 2 qemu-system-x86_64 -accel kvm -machine pc -m 16 -display none -nodefaults \
		-no-user-config -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-drive "file=$img,format=raw,if=floppy" >/dev/null 2>&1 || rc=$?
	rm -f "$img"
	if [ "$rc" = 85 ]; then echo kvm; else echo tcg; fi
}
