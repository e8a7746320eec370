"""Points mall (MALL-05 … MALL-11): products, H5 shop, orders, delivery, printing, reviews, statistics.
Its table of contents is `module.py`."""
