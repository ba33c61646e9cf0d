"""Customer acquisition (客户招募): prospects' leads, and referrals to specialist teams."""
