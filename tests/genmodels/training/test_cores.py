"""Sharing the cores between a training child and the server's requests (genmodels/training/cores.py and
the child's side of it in training/child.py)."""
import io
import threading

import pytest
import torch

from genmodels import sharing_cores
from genmodels.training import cores
from genmodels.training.child import STOP, _Threads, _watch_parent


@pytest.fixture(autouse=True)
def torch_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


class Pipe(io.BytesIO):
    def lines(self) -> list[bytes]:
        return self.getvalue().splitlines(keepends=True)


@pytest.fixture
def child():
    """A training child as the server sees it: its stdin, registered while the test runs."""
    pipe = Pipe()
    line = cores.ChildLine(pipe)
    cores.add_child(line)
    yield pipe
    cores.remove_child(line)


@pytest.mark.parametrize("full, child_threads, server_threads", [(1, 1, 1), (2, 1, 1), (3, 1, 2), (16, 8, 8)])
def test_each_side_takes_half_the_cores(full, child_threads, server_threads):
    assert cores.shared_threads(full) == child_threads
    assert cores.server_threads(full, training=True) == server_threads
    assert cores.server_threads(full, training=False) == full


def test_without_a_training_child_a_request_keeps_all_its_threads():
    torch.set_num_threads(1)  # what an earlier request beside a run left this worker thread
    assert not cores._children
    with sharing_cores():
        assert torch.get_num_threads() == cores._FULL


def test_a_request_beside_a_run_shares_and_hands_the_cores_back(child):
    with sharing_cores():
        assert child.lines() == [cores.SHARE]
        assert torch.get_num_threads() == cores.server_threads(cores._FULL, training=True)
    assert child.lines() == [cores.SHARE, cores.ALONE]


def test_overlapping_requests_share_once_and_end_sharing_with_the_last(child):
    first_in, second_done = threading.Event(), threading.Event()

    def second():
        first_in.wait()
        with sharing_cores():
            pass
        second_done.set()

    worker = threading.Thread(target=second)
    worker.start()
    with sharing_cores():
        first_in.set()
        second_done.wait(10)
        assert child.lines() == [cores.SHARE]  # the second request ended while the first still works
    worker.join()
    assert child.lines() == [cores.SHARE, cores.ALONE]


def test_a_run_that_starts_during_a_request_shares_at_once():
    with sharing_cores():
        pipe = Pipe()
        line = cores.ChildLine(pipe)
        cores.add_child(line)
        try:
            assert pipe.lines() == [cores.SHARE]
        finally:
            cores.remove_child(line)
    assert pipe.lines() == [cores.SHARE]  # gone before the request ended: nothing more is sent to it


def test_a_child_that_has_gone_is_no_error():
    pipe = Pipe()
    pipe.close()
    cores.ChildLine(pipe).say(cores.SHARE)


def test_the_child_follows_share_and_alone_and_stops_on_stop():
    stop, sharing = threading.Event(), threading.Event()
    seen = []
    source = iter([cores.SHARE, cores.ALONE, cores.SHARE, STOP, cores.ALONE])

    class Source:
        def __iter__(self):
            for line in source:
                yield line
                seen.append(sharing.is_set())

    _watch_parent(Source(), stop, sharing)
    assert seen == [True, False, True]  # the "alone" after "stop" is never read
    assert stop.is_set() and sharing.is_set()


def test_the_parent_going_away_stops_the_child():
    stop, sharing = threading.Event(), threading.Event()
    _watch_parent(io.BytesIO(cores.SHARE), stop, sharing)
    assert stop.is_set()


def test_the_runs_threads_halve_while_shared_and_come_back():
    torch.set_num_threads(4)
    sharing = threading.Event()
    threads = _Threads(sharing)
    threads.follow()
    assert torch.get_num_threads() == 4
    sharing.set()
    threads.follow()
    assert torch.get_num_threads() == 2
    sharing.clear()
    threads.follow()
    assert torch.get_num_threads() == 4
