"""Layer 3 of docs/gpu.md: what nvcc made of the kernels.

Reads ptxas's resource report (-Xptxas -v) of the cuda backend's compile and its kept PTX, and
fails when a main kernel (flash, SIMT, split combine) spills registers or has a local-memory
stack frame, when any kernel uses static shared memory over 48 KB or more than 255 registers,
when an architecture of the build is missing, when the PTX lacks the instructions the flash
kernel is designed around (mma.sync m16n8k16, ldmatrix, cp.async with commit and wait), or
when a wide instance of the standalone RoPE kernel does not move its data 16 bytes at a time.
Usage: check_ptxas_report.py REPORT PTX_DIR ARCHITECTURES (e.g. "80;90").
"""
import pathlib
import re
import sys

MAIN_KERNELS = ("FlashAttentionKernel", "SimtAttentionKernel", "CombineSplitsKernel",
                "RotaryApplyKernel")
PTX_INSTRUCTIONS = ("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32",
                    "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32",
                    "ldmatrix.sync.aligned.m8n8.x4.shared.b16",
                    "ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16",
                    "cp.async.cg.shared.global", "cp.async.commit_group", "cp.async.wait_group")


def parse(report):
    """Yields (kernel, arch, {stack, spill_stores, spill_loads, registers, smem})."""
    kernel = arch = None
    figures = {}
    for line in report.splitlines():
        entry = re.search(r"Compiling entry function '(\w+)' for '(sm_\d+a?)'", line)
        if entry:
            if kernel:
                yield kernel, arch, figures
            kernel, arch, figures = entry.group(1), entry.group(2), {}
            continue
        if kernel is None:
            continue
        frame = re.search(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads", line)
        if frame and "stack" not in figures:
            figures.update(stack=int(frame.group(1)), spill_stores=int(frame.group(2)),
                           spill_loads=int(frame.group(3)))
        used = re.search(r"Used (\d+) registers", line)
        if used:
            figures["registers"] = int(used.group(1))
            smem = re.search(r"(\d+) bytes smem", line)
            figures["smem"] = int(smem.group(1)) if smem else 0
    if kernel:
        yield kernel, arch, figures


def entry_bodies(ptx):
    """Yields (entry name, body) of every kernel in the PTX text."""
    for match in re.finditer(r"\.entry (\w+)\((.*?)\n}\n", ptx, re.S):
        yield match.group(1), match.group(2)


def narrow_rotary_kernels(ptx):
    """The RotaryApplyKernel<T, Layout, Pairs> instances with Pairs > 1 (16-byte runs) whose
    PTX lacks a 16-byte (v4) global load or store."""
    for name, body in entry_bodies(ptx):
        pairs = re.search(r"RotaryApplyKernel.*Li(\d+)EEEv", name)
        if pairs and int(pairs.group(1)) > 1:
            if not (re.search(r"ld\.global\.v4", body) and re.search(r"st\.global\.v4", body)):
                yield name


def main():
    report = pathlib.Path(sys.argv[1]).read_text()
    ptx_dir = pathlib.Path(sys.argv[2])
    architectures = {f"sm_{a}" for a in sys.argv[3].split(";")}
    failures = []
    seen_archs = set()
    print(f"{'kernel':70} {'arch':7} {'regs':>5} {'stack':>6} {'spills':>7} {'smem':>6}")
    for kernel, arch, figures in parse(report):
        seen_archs.add(arch)
        spills = figures.get("spill_stores", 0) + figures.get("spill_loads", 0)
        print(f"{kernel[:70]:70} {arch:7} {figures.get('registers', 0):5} "
              f"{figures.get('stack', 0):6} {spills:7} {figures.get('smem', 0):6}")
        if any(name in kernel for name in MAIN_KERNELS):
            if spills or figures.get("stack", 0):
                failures.append(f"{kernel} on {arch}: {spills} spilled bytes, "
                                f"{figures.get('stack', 0)} bytes of stack")
        if figures.get("registers", 0) > 255 or figures.get("smem", 0) > 48 * 1024:
            failures.append(f"{kernel} on {arch}: over the register or static shared budget")
    if not seen_archs >= architectures:
        failures.append(f"architectures {sorted(architectures - seen_archs)} missing from the report")
    ptx = "".join(path.read_text() for path in ptx_dir.glob("*.ptx"))
    if not ptx:
        failures.append(f"no PTX kept in {ptx_dir}")
    for instruction in PTX_INSTRUCTIONS:
        count = ptx.count(instruction)
        print(f"PTX {instruction}: {count}")
        if count == 0:
            failures.append(f"the PTX has no {instruction}")
    for name in narrow_rotary_kernels(ptx):
        failures.append(f"{name} does not move its runs as 16-byte accesses")
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
