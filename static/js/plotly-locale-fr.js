/* French month and day names and number marks for plotly.js (axis ticks, hover dates). */
(function () {
  "use strict";
  if (!window.Plotly) {
    return;
  }
  window.Plotly.register({
    moduleType: "locale",
    name: "fr",
    dictionary: {
      "Autoscale": "Échelle automatique",
      "Box Select": "Sélection rectangulaire",
      "Double-click to zoom back out": "Double-cliquez pour revenir à la vue d’ensemble",
      "Download plot": "Télécharger le graphique",
      "Download plot as a png": "Télécharger le graphique en PNG",
      "Lasso Select": "Sélection lasso",
      "Pan": "Déplacer",
      "Reset axes": "Réinitialiser les axes",
      "Reset view": "Réinitialiser la vue",
      "Snapshot succeeded": "Image enregistrée",
      "Taking snapshot - this may take a few seconds": "Création de l’image, quelques secondes…",
      "Zoom": "Zoom",
      "Zoom in": "Zoom avant",
      "Zoom out": "Zoom arrière",
      "Show closest data on hover": "Afficher la donnée la plus proche au survol",
      "Compare data on hover": "Comparer les données au survol",
    },
    format: {
      days: ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
      shortDays: ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
      months: [
        "janvier", "février", "mars", "avril", "mai", "juin",
        "juillet", "août", "septembre", "octobre", "novembre", "décembre",
      ],
      shortMonths: [
        "janv.", "févr.", "mars", "avr.", "mai", "juin",
        "juil.", "août", "sept.", "oct.", "nov.", "déc.",
      ],
      date: "%d/%m/%Y",
      decimal: ",",
      thousands: "\u00a0",
    },
  });
})();
