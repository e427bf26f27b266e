#!/usr/bin/env python3
"""Build helpers for the Fortran module nnblas; meson runs them.

  fortran_module.py moddir ID VERSION FC [FC_ARG...]
      Prints the folder, under <libdir>/fortran, that holds .mod files of
      this compiler: "gfortran-mod-N" for gfortran, where N is the .mod
      format version, as Debian names it (gfortran 8 to 14 write format
      15, so their modules share /usr/lib/<triplet>/fortran/gfortran-mod-15),
      else "ID-VERSION".
  fortran_module.py install MODDIR BUILDDIR
      Install script: copies the nnblas.mod that the build wrote somewhere
      below BUILDDIR into MODDIR (an absolute path), under $DESTDIR.

A .mod file is readable only by the compiler family and format version
that wrote it, so the folder name must say both. The format version is
read from a .mod compiled on the spot (gfortran gzips its .mod files,
which start with "GFORTRAN module version 'N'"); the table of gfortran
releases is only the fallback when that probe cannot run.
"""
import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile

# gfortran release (major) -> .mod format version, newest first.
GFORTRAN_MOD_VERSIONS = [(15, 16), (8, 15), (5, 14), (4, 12)]


def probe_gfortran_mod_version(fc):
    """Compiles an empty module with fc and reads its format version."""
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, 'nnblas_probe.f90')
        with open(src, 'w') as f:
            f.write('module nnblas_probe\nend module nnblas_probe\n')
        try:
            result = subprocess.run(
                fc + ['-c', src, '-J', tmp, '-o',
                      os.path.join(tmp, 'probe.o')],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError:
            return None
        mod = os.path.join(tmp, 'nnblas_probe.mod')
        if result.returncode != 0 or not os.path.exists(mod):
            return None
        try:
            with gzip.open(mod, 'rt', errors='replace') as f:
                head = f.readline()
        except OSError:
            # gfortran before 4.9 wrote plain text.
            with open(mod, errors='replace') as f:
                head = f.readline()
        match = re.search(r"module version '(\d+)'", head)
        return match.group(1) if match else None


def gfortran_mod_version_from_release(version):
    major = int(version.split('.')[0])
    for first_major, mod_version in GFORTRAN_MOD_VERSIONS:
        if major >= first_major:
            return str(mod_version)
    return None


def moddir(argv):
    compiler_id, version, fc = argv[0], argv[1], argv[2:]
    if compiler_id != 'gcc':
        print('{}-{}'.format(compiler_id, version))
        return 0
    mod_version = probe_gfortran_mod_version(fc)
    if mod_version is None:
        mod_version = gfortran_mod_version_from_release(version)
    if mod_version is None:
        print('cannot tell the .mod version of gfortran ' + version,
              file=sys.stderr)
        return 1
    print('gfortran-mod-' + mod_version)
    return 0


def install(argv):
    target_dir, builddir = argv
    found = []
    for root, _, files in os.walk(builddir):
        if 'nnblas.mod' in files:
            found.append(os.path.join(root, 'nnblas.mod'))
    if not found:
        print('nnblas.mod was not built below ' + builddir, file=sys.stderr)
        return 1
    # Shared and static builds of one source write the same module.
    source = max(found, key=os.path.getmtime)

    destdir = os.environ.get('DESTDIR', '')
    if destdir:
        target_dir = os.path.join(destdir, target_dir.lstrip(os.sep))
    target = os.path.join(target_dir, 'nnblas.mod')
    if not os.environ.get('MESON_INSTALL_QUIET'):
        print('Installing {} to {}'.format(source, target_dir))
    if os.environ.get('MESON_INSTALL_DRY_RUN'):
        return 0
    os.makedirs(target_dir, exist_ok=True)
    shutil.copyfile(source, target)
    os.chmod(target, 0o644)
    return 0


def main():
    if len(sys.argv) >= 5 and sys.argv[1] == 'moddir':
        return moddir(sys.argv[2:])
    if len(sys.argv) == 4 and sys.argv[1] == 'install':
        return install(sys.argv[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main())
