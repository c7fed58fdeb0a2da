// The engine version recorded in every model folder and favourite, so a regenerated image can say what made it.
export const engineVersion = '0.1.0'
