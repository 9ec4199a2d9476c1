#!/usr/bin/env python3
"""A FUSE pass-through filesystem that keeps un-synced writes in memory, so a power cut can drop them.

    tools/powercut_fs.py BACKING MOUNTPOINT --control SOCKET      # runs in the foreground until cut

Every file under MOUNTPOINT is the file of the same name under BACKING, but a write reaches
BACKING only when the file is synced: `fsync`/`fdatasync` on any descriptor of the file writes
all of its pending pages to BACKING (and syncs them there); a write through a descriptor opened
with O_DSYNC or O_SYNC reaches BACKING at once. Until then the written pages live in this
process's memory, and reads (including the kernel's page-ins for `mmap`) see them: the running
program cannot tell the difference. BACKING is the disk; this process's memory is the volatile
cache in front of it.

A power cut is the control command `cut FRACTION SEED` on the Unix socket SOCKET: each pending
page (4096 bytes) reaches BACKING with probability FRACTION, chosen in random order (seeded) —
like a disk that wrote back some of its cache, in any order, before the power went — and the
rest is dropped; the reply says what was pending, kept and dropped, and then this process exits
at once without unmounting. The caller unmounts (`umount -l MOUNTPOINT`), which also drops the
kernel's page cache for these files, and mounts afresh on BACKING, which then holds only what
was synced (plus what the cut kept).

With `--writeback SECONDS`, a thread also writes every pending page back to BACKING about that
often, in random order, as the kernel's flusher would: a program that never syncs then loses only
what it wrote since the last write-back (and the cut may tear that), not everything.

Metadata operations (create, mkdir, rename, unlink, truncate, chmod) reach BACKING at once, as
on a file system that journals metadata synchronously; only file data is held back. `stats` on
the socket answers the counts so far (writes, syncs, pending pages) without cutting.

Needs the `fusepy` package (PyPI) over libfuse2 (Debian `libfuse2`), and permission to mount
(root, or `fusermount`), and /dev/fuse.
"""

import argparse
import errno
import json
import os
import random
import socket
import stat
import sys
import threading
import time
import traceback

import fuse  # fusepy

PAGE = 4096
# O_DSYNC's bit is set in O_SYNC too: either one makes every write synchronous.
SYNC_FLAGS = os.O_DSYNC | os.O_SYNC


class Inode:
    """One file's un-synced state: its pending pages and its size as the program sees it."""

    def __init__(self, backing_path):
        self.backing_path = backing_path
        self.pages = {}  # page index → bytearray(PAGE): written since the last sync
        self.size = None  # the size the program sees, when it differs from BACKING's
        self.handles = 0

    def visible_size(self, backing_size):
        return backing_size if self.size is None else self.size


class PowerCutFS(fuse.Operations):
    """The filesystem: pass-through metadata, held-back data (see the module's description)."""

    use_ns = True

    def __init__(self, backing):
        self.backing = os.path.realpath(backing)
        # Not `self.lock`: fusepy would take an attribute of that name for the FUSE lock operation.
        self.mutex = threading.Lock()
        self.inodes = {}  # path → Inode, for files open or holding pending pages
        self.handles = {}  # file handle → (Inode, backing descriptor, synchronous writes)
        self.next_handle = 1
        self.counts = {"writes": 0, "bytesWritten": 0, "fsyncs": 0, "fdatasyncs": 0, "syncWrites": 0,
                       "pagesSynced": 0, "reads": 0, "opensWithDsync": 0, "writebacks": 0,
                       "pagesWrittenBack": 0}

    # -- paths and inodes -----------------------------------------------------------------------

    def real(self, path):
        return os.path.join(self.backing, path.lstrip("/"))

    def inode(self, path):
        """The path's Inode, made if needed (caller holds the mutex)."""
        node = self.inodes.get(path)
        if node is None:
            node = self.inodes[path] = Inode(self.real(path))
        return node

    def forget_if_idle(self, path, node):
        if node.handles == 0 and not node.pages and node.size is None and self.inodes.get(path) is node:
            del self.inodes[path]

    # -- data ------------------------------------------------------------------------------------

    def page_from_backing(self, fd, index):
        page = bytearray(os.pread(fd, PAGE, index * PAGE))
        page.extend(bytes(PAGE - len(page)))
        return page

    def write(self, path, data, offset, fh):
        with self.mutex:
            node, fd, synchronous = self.handles[fh]
            end = offset + len(data)
            visible = node.visible_size(os.fstat(fd).st_size)
            position = offset
            while position < end:
                index, start = divmod(position, PAGE)
                length = min(PAGE - start, end - position)
                page = node.pages.get(index)
                if page is None:
                    whole = start == 0 and length == PAGE
                    # BACKING never holds more than the visible size, so past its end a page reads as zeros.
                    page = bytearray(PAGE) if whole else self.page_from_backing(fd, index)
                    node.pages[index] = page
                page[start:start + length] = data[position - offset:position - offset + length]
                position += length
            if end > visible:
                node.size = end
            self.counts["writes"] += 1
            self.counts["bytesWritten"] += len(data)
            if synchronous:
                # O_DSYNC: this write's bytes are on the disk when it returns (earlier ones need not be).
                os.pwrite(fd, data, offset)
                os.fdatasync(fd)
                self.counts["syncWrites"] += 1
                if node.size is not None and node.size <= os.fstat(fd).st_size:
                    node.size = None
            return len(data)

    def read(self, path, size, offset, fh):
        with self.mutex:
            node, fd, _ = self.handles[fh]
            self.counts["reads"] += 1
            visible = node.visible_size(os.fstat(fd).st_size)
            size = max(0, min(size, visible - offset))
            if size == 0:
                return b""
            buffer = bytearray(os.pread(fd, size, offset))
            buffer.extend(bytes(size - len(buffer)))
            for index in range(offset // PAGE, (offset + size - 1) // PAGE + 1):
                page = node.pages.get(index)
                if page is None:
                    continue
                low, high = max(offset, index * PAGE), min(offset + size, (index + 1) * PAGE)
                buffer[low - offset:high - offset] = page[low - index * PAGE:high - index * PAGE]
            return bytes(buffer)

    def sync(self, node, fd):
        """Writes the file's pending pages to BACKING and syncs it there (caller holds the mutex)."""
        if node.size is not None:
            os.ftruncate(fd, node.size)
        for index in sorted(node.pages):
            page = node.pages[index]
            length = PAGE if node.size is None else min(PAGE, node.size - index * PAGE)
            if length > 0:
                os.pwrite(fd, page[:length], index * PAGE)
        self.counts["pagesSynced"] += len(node.pages)
        node.pages.clear()
        node.size = None
        os.fsync(fd)

    def fsync(self, path, datasync, fh):
        with self.mutex:
            node, fd, _ = self.handles[fh]
            self.counts["fdatasyncs" if datasync else "fsyncs"] += 1
            self.sync(node, fd)
        return 0

    def truncate(self, path, length, fh=None):
        with self.mutex:
            node = self.inode(path)
            # The size change itself is metadata (at once); pages past the new end are gone.
            os.truncate(node.backing_path, length)
            for index in [i for i in node.pages if i * PAGE >= length]:
                del node.pages[index]
            last = node.pages.get(length // PAGE)
            if last is not None:
                cut = length % PAGE
                last[cut:] = bytes(PAGE - cut)
            node.size = None
            self.forget_if_idle(path, node)
        return 0

    # -- opening and closing -----------------------------------------------------------------------

    def attach(self, path, fd, flags):
        node = self.inode(path)
        node.handles += 1
        handle = self.next_handle
        self.next_handle += 1
        synchronous = bool(flags & SYNC_FLAGS)
        self.counts["opensWithDsync"] += synchronous
        self.handles[handle] = (node, fd, synchronous)
        return handle

    def open(self, path, flags):
        with self.mutex:
            if flags & os.O_TRUNC:
                self.truncate_locked(path)
            # Read-write whatever was asked: filling a partly written page reads BACKING.
            fd = os.open(self.real(path), os.O_RDWR | os.O_CLOEXEC)
            return self.attach(path, fd, flags)

    def truncate_locked(self, path):
        node = self.inode(path)
        os.truncate(node.backing_path, 0)
        node.pages.clear()
        node.size = None

    def create(self, path, mode, fi=None):
        with self.mutex:
            fd = os.open(self.real(path), os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
            node = self.inode(path)
            node.pages.clear()
            node.size = None
            return self.attach(path, fd, 0)

    def release(self, path, fh):
        with self.mutex:
            node, fd, _ = self.handles.pop(fh)
            os.close(fd)
            node.handles -= 1
            for name, known in list(self.inodes.items()):
                if known is node:
                    self.forget_if_idle(name, node)
        return 0

    def flush(self, path, fh):
        return 0  # close(2) does not make data durable

    # -- metadata: passed through at once --------------------------------------------------------

    def getattr(self, path, fh=None):
        with self.mutex:
            st = os.lstat(self.real(path))
            attributes = {key: getattr(st, key) for key in (
                "st_mode", "st_nlink", "st_uid", "st_gid", "st_size", "st_atime_ns", "st_mtime_ns", "st_ctime_ns")}
            attributes["st_atime"] = attributes.pop("st_atime_ns")
            attributes["st_mtime"] = attributes.pop("st_mtime_ns")
            attributes["st_ctime"] = attributes.pop("st_ctime_ns")
            node = self.inodes.get(path)
            if node is not None and stat.S_ISREG(st.st_mode):
                attributes["st_size"] = node.visible_size(st.st_size)
            return attributes

    def readdir(self, path, fh):
        return [".", "..", *os.listdir(self.real(path))]

    def mkdir(self, path, mode):
        os.mkdir(self.real(path), mode)

    def rmdir(self, path):
        os.rmdir(self.real(path))

    def unlink(self, path):
        with self.mutex:
            os.unlink(self.real(path))
            self.inodes.pop(path, None)  # open handles keep their Inode; its pages die with it

    def rename(self, old, new):
        with self.mutex:
            os.rename(self.real(old), self.real(new))
            self.inodes.pop(new, None)
            prefix = old.rstrip("/") + "/"
            for name in [n for n in self.inodes if n == old or n.startswith(prefix)]:
                node = self.inodes.pop(name)
                renamed = new + name[len(old):]
                node.backing_path = self.real(renamed)
                self.inodes[renamed] = node

    def chmod(self, path, mode):
        os.chmod(self.real(path), mode)

    def chown(self, path, uid, gid):
        os.chown(self.real(path), uid, gid)

    def utimens(self, path, times=None):
        os.utime(self.real(path), ns=times)

    def access(self, path, amode):
        if not os.access(self.real(path), amode):
            raise fuse.FuseOSError(errno.EACCES)

    def statfs(self, path):
        st = os.statvfs(self.real(path))
        return {key: getattr(st, key) for key in (
            "f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail", "f_ffree", "f_files", "f_flag", "f_frsize",
            "f_namemax")}

    def fsyncdir(self, path, datasync, fh):
        return 0  # directory entries reach BACKING at once

    def readlink(self, path):
        return os.readlink(self.real(path))

    def symlink(self, target, source):
        os.symlink(source, self.real(target))

    def link(self, target, source):
        raise fuse.FuseOSError(errno.EPERM)  # one Inode per path: hard links are not modelled

    # -- the power cut -----------------------------------------------------------------------------

    def pending(self):
        nodes = {id(node): node for node in self.inodes.values()}
        nodes.update({id(node): node for node, _, _ in self.handles.values()})
        return [node for node in nodes.values() if node.pages or node.size is not None]

    def report(self):
        with self.mutex:
            pending = {os.path.relpath(node.backing_path, self.backing): len(node.pages) for node in self.pending()}
            return dict(self.counts, pendingPages=pending)

    def write_back(self, rng):
        """The kernel's flusher: every pending page reaches BACKING, in random order (no sync implied)."""
        with self.mutex:
            pending = [(node, index) for node in self.pending() for index in node.pages]
            rng.shuffle(pending)
            self.persist(pending)
            for node in self.pending():
                if node.size is not None and os.path.exists(node.backing_path):
                    os.truncate(node.backing_path, node.size)
                node.pages.clear()
                node.size = None
            self.counts["writebacks"] += 1
            self.counts["pagesWrittenBack"] += len(pending)

    def persist(self, pages):
        """Writes each (Inode, page index) to BACKING, in this order, as the program wrote it; a page
        is written whole (clipped to the file's size) or not at all. Returns the count per file."""
        written, descriptors = {}, {}
        try:
            for node, index in pages:
                if node.backing_path not in descriptors:
                    try:
                        descriptors[node.backing_path] = os.open(node.backing_path, os.O_WRONLY | os.O_CLOEXEC)
                    except FileNotFoundError:
                        descriptors[node.backing_path] = None  # unlinked: its data is gone with it
                fd = descriptors[node.backing_path]
                if fd is None:
                    continue
                room = PAGE if node.size is None else node.size - index * PAGE
                if room > 0:
                    os.pwrite(fd, node.pages[index][:min(PAGE, room)], index * PAGE)
                name = os.path.relpath(node.backing_path, self.backing)
                written[name] = written.get(name, 0) + 1
        finally:
            for fd in descriptors.values():
                if fd is not None:
                    os.close(fd)
        return written

    def cut(self, fraction, seed):
        """Keeps each pending page with probability `fraction`, in random order; drops the rest."""
        self.mutex.acquire()  # never released: nothing runs after the cut
        rng = random.Random(seed)
        pending = [(node, index) for node in self.pending() for index in node.pages]
        rng.shuffle(pending)
        kept = self.persist([page for page in pending if rng.random() < fraction])
        pages = {}
        for node, _ in pending:
            name = os.path.relpath(node.backing_path, self.backing)
            pages[name] = pages.get(name, 0) + 1
        return dict(self.counts, pendingPages=pages, keptPages=kept, fraction=fraction, seed=seed)


def flusher(filesystem, interval, seed):
    """Writes every pending page back every `interval` seconds on average (uniform in 0.5-1.5 times it)."""
    rng = random.Random(seed)
    try:
        while True:
            time.sleep(interval * rng.uniform(0.5, 1.5))
            filesystem.write_back(rng)
    except Exception:  # a flusher that stopped quietly would make every later cut drop more
        traceback.print_exc()
        os._exit(70)


def serve_control(filesystem, path):
    """Answers `stats` and `cut FRACTION SEED` on a Unix socket; after a cut the process ends."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(4)
    while True:
        connection, _ = server.accept()
        with connection:
            words = connection.makefile("r").readline().split()
            if words[:1] == ["stats"]:
                connection.sendall((json.dumps(filesystem.report()) + "\n").encode())
            elif words[:1] == ["cut"] and len(words) == 3:
                answer = filesystem.cut(float(words[1]), int(words[2]))
                connection.sendall((json.dumps(answer) + "\n").encode())
                connection.close()
                os._exit(0)  # no unmount, no flush: the power is off
            else:
                connection.sendall(b'{"error":"usage: stats | cut FRACTION SEED"}\n')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("backing", help="the directory that plays the disk")
    parser.add_argument("mountpoint", help="where the files appear")
    parser.add_argument("--control", required=True, help="Unix socket for `stats` and `cut FRACTION SEED`")
    parser.add_argument("--writeback", type=float, default=0.0, metavar="SECONDS",
                        help="write every pending page back about this often, like the kernel's flusher (default: never)")
    parser.add_argument("--seed", type=int, default=0, help="seeds the flusher's timing and order")
    options = parser.parse_args()
    filesystem = PowerCutFS(options.backing)
    threading.Thread(target=serve_control, args=(filesystem, options.control), daemon=True).start()
    if options.writeback > 0:
        threading.Thread(target=flusher, args=(filesystem, options.writeback, options.seed), daemon=True).start()
    # kernel_cache: nothing but this mount changes BACKING, so the page cache stays valid across opens
    # (a cut remounts, which drops it). No direct_io: LMDB reads through mmap. no_remote_lock: the
    # kernel keeps the POSIX locks LMDB takes on lock.mdb (and Tally's flock), not this process.
    fuse.FUSE(filesystem, options.mountpoint, foreground=True, nothreads=False, big_writes=True,
              kernel_cache=True, no_remote_lock=True, fsname="powercut", subtype="powercut", default_permissions=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
