"""The order a run visits its pictures in: a shuffle, or for a labelled GAN, every class as often as any other."""
import torch

from genmodels.training.epochs import epoch_order


def test_an_unlabelled_epoch_visits_every_picture_once():
    order = epoch_order(50, torch.Generator().manual_seed(0))
    assert sorted(order.tolist()) == list(range(50))


def test_a_labelled_epoch_draws_every_class_equally_often():
    labels = torch.tensor([0] * 180 + [1] * 20)  # a class nine times the size of the other
    orders = [epoch_order(200, torch.Generator().manual_seed(epoch), labels) for epoch in range(20)]
    drawn = labels[torch.cat(orders)]
    assert all(len(o) == 200 and 0 <= int(o.min()) and int(o.max()) < 200 for o in orders)
    assert 0.45 < float((drawn == 1).float().mean()) < 0.55  # about half, against a tenth of the pictures
    assert set(torch.cat(orders)[drawn == 1].tolist()) == set(range(180, 200))  # each small-class picture is seen
    again = epoch_order(200, torch.Generator().manual_seed(3), labels)
    assert torch.equal(again, orders[3])  # the same (seed, epoch), the same order: resume stays exact
