# The generators' and the discriminator's learning rates annealed to 0 on a
# cosine over the adversarial budget (per iteration); the student's stays
# constant. A second base for a recipe leaf; the budget is set here once.
adversarial_budget = 4
_anneal = [dict(type='CosineAnnealingLR', T_max=adversarial_budget,
                eta_min=0.0, begin=0, end=adversarial_budget, by_epoch=True,
                convert_to_iter_based=True)]
param_scheduler = dict(generator=_anneal, discriminator=_anneal,
                       student=[dict(type='ConstantLR', factor=1.0,
                                     by_epoch=True)])
