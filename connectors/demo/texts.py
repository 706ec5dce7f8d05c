"""Post texts for the demo brand, written the way each platform's audience is addressed.

Instagram captions end in a block of hashtags, TikTok is a short hook, LinkedIn is longer and
sober, YouTube reads like a video title and Facebook sits in between with a link. Texts are
assembled from parts so lengths vary; the caller passes a seeded ``random.Random``.
"""

from __future__ import annotations

import random

from connectors.demo.profiles import SITE
from connectors.demo.seasons import SUMMER_LAUNCH

PRODUCTS = (
    "Figue & Cèdre candle",
    "Nuit Blanche diffuser",
    "Linen Mist",
    "Ambre Doux candle",
    "Jardin de Grasse room spray",
    "stoneware candle vessel",
    "Bois Flotté reed diffuser",
)

HEADLINES: dict[str, tuple[str, ...]] = {
    "product": (
        "Meet the {product} ✨",
        "Back in stock: the {product}",
        "Your evenings, upgraded: the {product} 🕯️",
        "A little light for the season: our {product}",
        "The {product}, photographed at home in the Marais",
    ),
    "behind-the-scenes": (
        "Pouring day at the atelier 🕯️",
        "From Grasse to your living room: how the {product} is made",
        "Meet Camille, who hand-finishes every vessel 👋",
        "Testing 14 versions of one scent, so you don't have to",
        "A Tuesday morning in our Paris atelier ☕",
    ),
    "tips": (
        "3 tips to make your candle burn evenly 🔥",
        "Why you should always trim the wick to 5 mm",
        "How to layer scents across a small apartment",
        "The first burn matters most: here is why",
        "Reed diffuser not scenting the room? Try this 💡",
    ),
    "community": (
        "Your homes, our light: this week's favourite photos 💛",
        "Thank you for 1,000 reviews ✨",
        "We asked you which scent means 'home'. You answered.",
        "Candle-lit reading corners from our community 📚",
        "Your questions, answered by our perfumer",
    ),
}

BODIES: dict[str, tuple[str, ...]] = {
    "product": (
        "Fig leaves, cedar wood and a hint of black pepper, poured by hand in France.",
        "Made with rapeseed wax and a cotton wick for a clean, slow burn of about 50 hours.",
        "The vessel is made in Limoges; keep it as a vase when the candle is finished.",
    ),
    "behind-the-scenes": (
        "Each batch rests for two weeks before it leaves the atelier, so the scent can settle.",
        "Our team of nine pours, labels and packs every order in Paris.",
        "Our perfumer spends weeks on each accord before it reaches the wax.",
    ),
    "tips": (
        "Let the wax melt to the edge on the first burn, then never burn more than 3 hours.",
        "Keep diffusers away from radiators and flip the reeds once a week.",
        "Light your candle 20 minutes before guests arrive, then blow it out at the table.",
    ),
    "community": (
        "Tag us to be featured next week.",
        "Every review helps a small French atelier grow. Merci.",
        "Your photos make our Monday mornings.",
    ),
}

CAMPAIGN_BODIES = (
    "Soleil d'Été: bergamot, fig leaf and warm sand, in a sun-yellow vessel. Limited edition.",
    "Three candles, a diffuser and a linen mist for long summer evenings.",
    "Launch fortnight only: free delivery in France on the whole summer collection.",
)

CTAS = (
    "Shop via the link in bio.",
    "Which one is your favourite? Tell us below 👇",
    "Save this for later.",
    "Discover the collection on our website.",
    "Share it with someone who needs a cosy evening.",
)

HASHTAGS: dict[str, tuple[str, ...]] = {
    "product": ("#candles", "#homefragrance", "#madeinfrance", "#homedecor", "#scentedcandle"),
    "behind-the-scenes": ("#behindthescenes", "#atelier", "#handmade", "#smallbusiness"),
    "tips": ("#candletips", "#homehacks", "#cosyhome", "#slowliving"),
    "community": ("#maisonlumierehome", "#community", "#interiorinspo", "#hygge"),
}

CAMPAIGN_HEADLINES = (
    "☀️ {hashtag} is here: meet Soleil d'Été, our summer collection",
    "Citrus, fig leaf and warm sand: Soleil d'Été is out now ☀️ {hashtag}",
    "Long evenings, open windows, one candle. {hashtag} 🌅",
    "Last days to get the summer collection at launch price {hashtag}",
)


def post_text(*, rng: random.Random, platform: str, pillar: str, campaign: bool) -> str:
    """One post's text in ``platform``'s voice for a content ``pillar``."""
    product = rng.choice(PRODUCTS)
    if campaign:
        headline = rng.choice(CAMPAIGN_HEADLINES).format(hashtag=SUMMER_LAUNCH.hashtag)
    else:
        headline = rng.choice(HEADLINES[pillar]).format(product=product)
    body = rng.choice(CAMPAIGN_BODIES if campaign else BODIES[pillar])
    tags = list(rng.sample(HASHTAGS[pillar], k=min(len(HASHTAGS[pillar]), rng.randint(2, 4))))

    if platform == "instagram":
        parts = [headline]
        if rng.random() < 0.7:
            parts.append(body)
        parts.append(rng.choice(CTAS))
        text = "\n\n".join(parts)
        return f"{text}\n\n{_tagline(text, campaign, [*tags, '#parisianhome'])}"
    if platform == "facebook":
        parts = [headline, body]
        if rng.random() < 0.5:
            parts.append(f"Read more: {SITE}/journal/{pillar}-{rng.randint(100, 999)}")
        text = "\n\n".join(parts)
        return f"{text}\n\n{_tagline(text, campaign, [])}"
    if platform == "linkedin":
        closing = rng.choice(
            (
                "What rituals make your workspace feel like home?",
                "We are hiring a production assistant in Paris: link in comments.",
                "Proud of this small team, and of every candle that leaves the atelier.",
                "Stockists: our wholesale catalogue is open for the new season.",
            )
        )
        extra = rng.choice([b for b in BODIES["behind-the-scenes"] if b != body])
        text = f"{_sentence(headline)}\n\n{body} {extra}\n\n{closing}"
        return f"{text}\n\n{_tagline(text, campaign, [*tags[:2], '#craftsmanship'])}"
    if platform == "youtube":
        title = headline.split(":")[0] if rng.random() < 0.5 else headline
        text = f"{title} | {body}"
        return f"{text}\n\n{_tagline(text, campaign, tags[:2])}"
    # TikTok: a hook and a wall of hashtags.
    hook = rng.choice(
        (
            "POV: your apartment smells like a Paris boutique 🕯️",
            "wait for the last pour 😮",
            headline,
            "things that just make sense in a candle atelier ✨",
            "rating our best sellers honestly",
        )
    )
    return f"{hook} {_tagline(hook, campaign, [*tags, '#candletok', '#fyp'])}"


def _tagline(text: str, campaign: bool, tags: list[str]) -> str:
    # The campaign hashtag is what campaign reports search for: every campaign post carries it,
    # once, in its text or in the tag line.
    brand = ["#MaisonLumiere"]
    if campaign and SUMMER_LAUNCH.hashtag not in text:
        brand.append(SUMMER_LAUNCH.hashtag)
    return " ".join([*brand, *tags])


def _sentence(headline: str) -> str:
    # LinkedIn's voice is sober: drop the emoji (all above U+2000, with their variation
    # selectors) and trailing hashtags, and end the headline as a sentence.
    words = "".join(ch for ch in headline if ord(ch) < 0x2000).split()
    while words and words[-1].startswith("#"):
        words.pop()
    text = " ".join(words).rstrip(":")
    return text if text.endswith((".", "!", "?")) else f"{text}."
