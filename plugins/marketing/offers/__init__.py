"""Next-best offers (下一个最佳产品): for a customer, the suitable products on
sale they do not hold yet, ranked by transparent rules, each with its reason
in words. :mod:`signals` reads what the rules look at, :mod:`rules` says what
each rule suggests and why, :mod:`recommend` ranks."""
